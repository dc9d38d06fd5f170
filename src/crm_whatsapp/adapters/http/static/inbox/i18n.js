// Translations and Intl formatting. Spanish is the default; pages add their own strings with
// addMessages() and re-render on the window's `languagechange` event.

const LANG_KEY = 'crm_whatsapp.lang';
const SUPPORTED = ['es', 'en'];
const messages = { es: {}, en: {} };

export function addMessages(lang, dict) {
  messages[lang] = { ...(messages[lang] || {}), ...dict };
}

function stored() {
  try {
    return window.localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}

let language = SUPPORTED.includes(stored()) ? stored() : 'es';
if (typeof document !== 'undefined') document.documentElement.lang = language;

export function currentLanguage() {
  return language;
}

export function setLanguage(lang) {
  const next = SUPPORTED.includes(lang) ? lang : 'es';
  try {
    window.localStorage.setItem(LANG_KEY, next);
  } catch {
    // storage blocked: the choice lasts for this page only
  }
  const changed = next !== language;
  language = next;
  document.documentElement.lang = next;
  if (changed) window.dispatchEvent(new CustomEvent('languagechange', { detail: { lang: next } }));
}

/** The text for `key` in the current language; `{name}` placeholders come from params. */
export function t(key, params = {}) {
  const template = messages[language]?.[key] ?? messages.es[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

function date(iso) {
  if (iso === null || iso === undefined || iso === '') return null;
  const value = iso instanceof Date ? iso : new Date(iso);
  return Number.isNaN(value.getTime()) ? null : value;
}

function locale() {
  return language === 'en' ? 'en-GB' : 'es-ES';
}

// Building an Intl formatter costs far more than using one, and a long chat formats
// thousands of times while scrolling: one formatter per language and shape.
const formatters = new Map();

function dateFormat(shape, options) {
  const key = `${locale()}|${shape}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale(), options);
    formatters.set(key, format);
  }
  return format;
}

function numberFormat(shape, options) {
  const key = `${locale()}|number:${shape}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale(), options);
    formatters.set(key, format);
  }
  return format;
}

export function formatDateTime(iso) {
  const value = date(iso);
  if (!value) return '';
  return dateFormat('datetime', { dateStyle: 'medium', timeStyle: 'short' }).format(value);
}

export function formatTime(iso) {
  const value = date(iso);
  if (!value) return '';
  return dateFormat('time', { hour: '2-digit', minute: '2-digit' }).format(value);
}

export function formatDay(iso) {
  const value = date(iso);
  if (!value) return '';
  return dateFormat('day', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(value);
}

/** Short form for lists: the time today, the date otherwise. */
export function formatShort(iso) {
  const value = date(iso);
  if (!value) return '';
  const now = new Date();
  if (value.toDateString() === now.toDateString()) return formatTime(value);
  const sameYear = value.getFullYear() === now.getFullYear();
  return dateFormat(sameYear ? 'short' : 'short-year', {
    day: 'numeric',
    month: 'short',
    year: sameYear ? undefined : 'numeric',
  }).format(value);
}

export function formatNumber(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '';
  return numberFormat('plain', {}).format(n);
}

export function formatPercent(x) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return '';
  return numberFormat('percent', { style: 'percent', maximumFractionDigits: 1 }).format(x);
}

addMessages('es', {
  'app.name': 'WhatsApp CRM',
  'nav.label': 'Navegación principal',
  'nav.inbox': 'Conversaciones',
  'nav.dashboard': 'Panel',
  'nav.signout': 'Salir',
  'nav.skip': 'Saltar al contenido',
  'lang.label': 'Idioma',
  'lang.es': 'Español',
  'lang.en': 'English',
  'signin.title': 'Iniciar sesión',
  'signin.intro': 'Introduce el token de la API para ver las conversaciones.',
  'signin.token': 'Token de la API',
  'signin.submit': 'Entrar',
  'signin.checking': 'Comprobando…',
  'signin.invalid': 'Token no válido',
  'signin.expired': 'La sesión ha caducado. Vuelve a entrar.',
  'signin.network': 'No se puede contactar con el servicio. Inténtalo de nuevo.',
  'signin.required': 'Escribe el token.',
  'signin.server': 'El servicio no responde bien ahora mismo. Inténtalo de nuevo.',
  'error.generic': 'Algo ha fallado: {message}',
  'error.network': 'Sin conexión con el servicio.',
  'live.live': 'En directo',
  'live.reconnecting': 'Reconectando…',
  'live.connecting': 'Conectando…',
  'filters.title': 'Filtros',
  'filters.toggle': 'Filtros',
  'filters.client_id': 'ID de cliente',
  'filters.number': 'Número',
  'filters.since': 'Desde',
  'filters.until': 'Hasta',
  'filters.linked': 'Cliente',
  'filters.linked.all': 'Todos',
  'filters.linked.yes': 'Vinculadas',
  'filters.linked.no': 'Sin vincular',
  'filters.bot': 'Bot',
  'filters.bot.all': 'Todos',
  'filters.bot.active': 'Con bot',
  'filters.bot.paused': 'Pausado',
  'filters.q': 'Buscar',
  'filters.q.placeholder': 'Nombre, número o texto',
  'filters.apply': 'Aplicar',
  'filters.reset': 'Limpiar',
  'list.label': 'Conversaciones',
  'list.empty': 'No hay conversaciones.',
  'list.loading': 'Cargando…',
  'list.more': 'Cargando más…',
  'list.end': 'No hay más conversaciones.',
  'list.unread': '{count} sin leer',
  'list.linked': 'Cliente vinculado: {name}',
  'list.unlinked': 'Sin cliente vinculado',
  'list.paused': 'Bot pausado',
  'list.paused.by': 'Atendida por {agent}',
  'list.opted_out': 'Ha pedido no recibir mensajes',
  'marker.linked': 'Cliente',
  'marker.unlinked': 'Sin vincular',
  'marker.paused': 'Bot pausado',
  'marker.opted_out': 'Baja',
  'chat.empty': 'Elige una conversación para ver los mensajes.',
  'chat.back': 'Volver a la lista',
  'chat.loading': 'Cargando mensajes…',
  'chat.older': 'Cargando mensajes anteriores…',
  'chat.start': 'Inicio de la conversación',
  'chat.messages': 'Mensajes',
  'chat.new_message': 'Nuevo mensaje de {name}',
  'chat.bot': 'Bot',
  'chat.agent': 'Agente',
  'chat.customer': 'Cliente',
  'chat.previous': 'mensaje anterior',
  'chat.reply_to': 'En respuesta a',
  'chat.client': 'Cliente: {name}',
  'chat.no_client': 'Sin cliente vinculado',
  'chat.paused': 'Atendida por {agent}',
  'chat.bot_active': 'Responde el bot',
  'chat.opted_out': 'El cliente ha pedido no recibir mensajes',
  'chat.actions': 'Acciones',
  'action.take': 'Tomar conversación',
  'action.give_back': 'Devolver al bot',
  'action.link': 'Vincular cliente',
  'action.unlink': 'Desvincular',
  'action.read': 'Marcar como leída',
  'action.done.read': 'Marcada como leída.',
  'action.done.take': 'Has tomado la conversación.',
  'action.done.give_back': 'La conversación vuelve al bot.',
  'action.done.link': 'Cliente vinculado: {name}',
  'action.done.unlink': 'Cliente desvinculado.',
  'link.title': 'Vincular cliente',
  'link.search': 'Buscar cliente (nombre o ID)',
  'link.searching': 'Buscando…',
  'link.none': 'Ningún cliente coincide.',
  'link.choose': 'Vincular a {name} ({id})',
  'link.close': 'Cerrar',
  'status.pending': 'Pendiente',
  'status.sent': 'Enviado',
  'status.delivered': 'Entregado',
  'status.read': 'Leído',
  'status.failed': 'Error al enviar',
  'status.failed.reason': 'Error al enviar: {title} ({code})',
  'kind.image': 'Imagen',
  'kind.audio': 'Audio',
  'kind.voice': 'Nota de voz',
  'kind.video': 'Vídeo',
  'kind.document': 'Documento',
  'kind.sticker': 'Sticker',
  'kind.location': 'Ubicación',
  'kind.contacts': 'Contacto',
  'kind.interactive': 'Respuesta',
  'kind.button': 'Botón',
  'kind.reaction': 'Reacción',
  'kind.order': 'Pedido',
  'kind.system': 'Aviso del sistema',
  'kind.template': 'Plantilla',
  'kind.unsupported': 'Mensaje no compatible',
  'kind.template.name': 'Plantilla «{name}» ({language})',
  'composer.label': 'Mensaje',
  'composer.placeholder': 'Escribe un mensaje',
  'composer.send': 'Enviar',
  'composer.sending': 'Enviando…',
  'composer.agent': 'Tu nombre',
  'composer.agent.default': 'Agente',
  'composer.window.open': 'Ventana de 24 h: quedan {time}',
  'composer.window.closed':
    'Han pasado más de 24 horas desde el último mensaje del cliente: ' +
    'solo se puede enviar una plantilla.',
  'composer.window.none':
    'El cliente no ha escrito todavía: solo se puede enviar una plantilla.',
  'composer.template': 'Enviar plantilla',
  'composer.template.name': 'Nombre de la plantilla',
  'composer.template.language': 'Idioma de la plantilla',
  'composer.template.parameters': 'Parámetros (separados por comas)',
  'composer.template.send': 'Enviar plantilla',
  'composer.sent': 'Mensaje enviado.',
  'composer.empty': 'Escribe un mensaje antes de enviar.',
  'widget.title': 'Conversaciones de WhatsApp',
  'widget.no_client': 'Falta el atributo client-id.',
  'widget.no_token': 'Falta el token de la API.',
  'widget.empty': 'Este cliente no tiene conversaciones.',
});

addMessages('en', {
  'app.name': 'WhatsApp CRM',
  'nav.label': 'Main navigation',
  'nav.inbox': 'Conversations',
  'nav.dashboard': 'Dashboard',
  'nav.signout': 'Sign out',
  'nav.skip': 'Skip to content',
  'lang.label': 'Language',
  'lang.es': 'Español',
  'lang.en': 'English',
  'signin.title': 'Sign in',
  'signin.intro': 'Enter the API token to see the conversations.',
  'signin.token': 'API token',
  'signin.submit': 'Sign in',
  'signin.checking': 'Checking…',
  'signin.invalid': 'Invalid token',
  'signin.expired': 'Your session has expired. Please sign in again.',
  'signin.network': 'Cannot reach the service. Please try again.',
  'signin.required': 'Enter the token.',
  'signin.server': 'The service is not answering properly right now. Please try again.',
  'error.generic': 'Something went wrong: {message}',
  'error.network': 'No connection to the service.',
  'live.live': 'Live',
  'live.reconnecting': 'Reconnecting…',
  'live.connecting': 'Connecting…',
  'filters.title': 'Filters',
  'filters.toggle': 'Filters',
  'filters.client_id': 'Client ID',
  'filters.number': 'Number',
  'filters.since': 'From',
  'filters.until': 'To',
  'filters.linked': 'Client',
  'filters.linked.all': 'All',
  'filters.linked.yes': 'Linked',
  'filters.linked.no': 'Not linked',
  'filters.bot': 'Bot',
  'filters.bot.all': 'All',
  'filters.bot.active': 'Bot on',
  'filters.bot.paused': 'Paused',
  'filters.q': 'Search',
  'filters.q.placeholder': 'Name, number or text',
  'filters.apply': 'Apply',
  'filters.reset': 'Clear',
  'list.label': 'Conversations',
  'list.empty': 'No conversations.',
  'list.loading': 'Loading…',
  'list.more': 'Loading more…',
  'list.end': 'No more conversations.',
  'list.unread': '{count} unread',
  'list.linked': 'Linked client: {name}',
  'list.unlinked': 'No linked client',
  'list.paused': 'Bot paused',
  'list.paused.by': 'Handled by {agent}',
  'list.opted_out': 'Asked not to receive messages',
  'marker.linked': 'Client',
  'marker.unlinked': 'Not linked',
  'marker.paused': 'Bot paused',
  'marker.opted_out': 'Opted out',
  'chat.empty': 'Choose a conversation to see its messages.',
  'chat.back': 'Back to the list',
  'chat.loading': 'Loading messages…',
  'chat.older': 'Loading earlier messages…',
  'chat.start': 'Start of the conversation',
  'chat.messages': 'Messages',
  'chat.new_message': 'New message from {name}',
  'chat.bot': 'Bot',
  'chat.agent': 'Agent',
  'chat.customer': 'Customer',
  'chat.previous': 'earlier message',
  'chat.reply_to': 'Replying to',
  'chat.client': 'Client: {name}',
  'chat.no_client': 'No linked client',
  'chat.paused': 'Handled by {agent}',
  'chat.bot_active': 'The bot is answering',
  'chat.opted_out': 'The customer asked not to receive messages',
  'chat.actions': 'Actions',
  'action.take': 'Take over',
  'action.give_back': 'Give back to the bot',
  'action.link': 'Link client',
  'action.unlink': 'Unlink',
  'action.read': 'Mark as read',
  'action.done.read': 'Marked as read.',
  'action.done.take': 'You took over the conversation.',
  'action.done.give_back': 'The bot handles the conversation again.',
  'action.done.link': 'Linked client: {name}',
  'action.done.unlink': 'Client unlinked.',
  'link.title': 'Link client',
  'link.search': 'Search client (name or ID)',
  'link.searching': 'Searching…',
  'link.none': 'No client matches.',
  'link.choose': 'Link to {name} ({id})',
  'link.close': 'Close',
  'status.pending': 'Pending',
  'status.sent': 'Sent',
  'status.delivered': 'Delivered',
  'status.read': 'Read',
  'status.failed': 'Sending failed',
  'status.failed.reason': 'Sending failed: {title} ({code})',
  'kind.image': 'Image',
  'kind.audio': 'Audio',
  'kind.voice': 'Voice note',
  'kind.video': 'Video',
  'kind.document': 'Document',
  'kind.sticker': 'Sticker',
  'kind.location': 'Location',
  'kind.contacts': 'Contact',
  'kind.interactive': 'Reply',
  'kind.button': 'Button',
  'kind.reaction': 'Reaction',
  'kind.order': 'Order',
  'kind.system': 'System notice',
  'kind.template': 'Template',
  'kind.unsupported': 'Unsupported message',
  'kind.template.name': 'Template “{name}” ({language})',
  'composer.label': 'Message',
  'composer.placeholder': 'Type a message',
  'composer.send': 'Send',
  'composer.sending': 'Sending…',
  'composer.agent': 'Your name',
  'composer.agent.default': 'Agent',
  'composer.window.open': '24-hour window: {time} left',
  'composer.window.closed':
    'More than 24 hours since the customer’s last message: only a template can be sent.',
  'composer.window.none': 'The customer has not written yet: only a template can be sent.',
  'composer.template': 'Send a template',
  'composer.template.name': 'Template name',
  'composer.template.language': 'Template language',
  'composer.template.parameters': 'Parameters (comma-separated)',
  'composer.template.send': 'Send template',
  'composer.sent': 'Message sent.',
  'composer.empty': 'Type a message before sending.',
  'widget.title': 'WhatsApp conversations',
  'widget.no_client': 'The client-id attribute is missing.',
  'widget.no_token': 'The API token is missing.',
  'widget.empty': 'This client has no conversations.',
});
