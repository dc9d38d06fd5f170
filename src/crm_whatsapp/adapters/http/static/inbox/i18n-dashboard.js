// The dashboard's texts (Spanish and English) and the formats only the dashboard needs.
import { addMessages, currentLanguage } from './i18n.js';

function locale() {
  return currentLanguage() === 'en' ? 'en-GB' : 'es-ES';
}

/** A short day for an axis ("5 ene"); the day is a calendar date, so no timezone shift. */
export function formatDayShort(iso) {
  const value = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(value.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: 'UTC' })
    .format(value)
    .replace('.', '');
}

/** A calendar day in full ("lunes, 5 de enero de 2026"). */
export function formatDayLong(iso) {
  const value = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(value.getTime())) return '';
  return new Intl.DateTimeFormat(locale(), {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(value);
}

/** Weekday names, Monday first (the API's order). */
export function weekdayNames(style = 'short') {
  // 2024-01-01 was a Monday
  return Array.from({ length: 7 }, (_, i) =>
    new Intl.DateTimeFormat(locale(), { weekday: style, timeZone: 'UTC' })
      .format(new Date(Date.UTC(2024, 0, 1 + i)))
      .replace('.', ''),
  );
}

/** A duration as people say it: "0,4 s", "12 s", "3 min 5 s", "1 h 5 min", "2 d 3 h". */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const decimal = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 });
  if (seconds < 10) return `${decimal.format(seconds)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const parts = (big, bigUnit, small, smallUnit) =>
    small > 0 ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
  if (whole < 600) return parts(Math.floor(whole / 60), 'min', whole % 60, 's');
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) return parts(Math.floor(minutes / 60), 'h', minutes % 60, 'min');
  const hours = Math.round(minutes / 60);
  return parts(Math.floor(hours / 24), 'd', hours % 24, 'h');
}

// The Cloud API error codes a business meets most; the others show their code alone.
const ERROR_CODES_ES = {
  '130429': 'Límite de envíos de la API alcanzado',
  '131000': 'Error desconocido de WhatsApp',
  '131005': 'Permiso denegado',
  '131008': 'Falta un parámetro obligatorio',
  '131009': 'Valor de parámetro no válido',
  '131021': 'El destinatario es el propio número de la empresa',
  '131026': 'Mensaje imposible de entregar (número sin WhatsApp o app antigua)',
  '131031': 'Cuenta de empresa bloqueada',
  '131042': 'Problema con el método de pago de la cuenta',
  '131045': 'Número de teléfono no registrado',
  '131047': 'Más de 24 horas desde el último mensaje del cliente',
  '131048': 'Límite por spam alcanzado',
  '131049': 'No entregado para proteger la experiencia del usuario',
  '131050': 'El cliente ha dejado de aceptar mensajes de marketing',
  '131051': 'Tipo de mensaje no admitido',
  '131052': 'No se pudo descargar el archivo del cliente',
  '131053': 'No se pudo subir el archivo',
  '131056': 'Demasiados mensajes al mismo número',
  '132000': 'Número de parámetros de la plantilla incorrecto',
  '132001': 'La plantilla no existe o no está aprobada en ese idioma',
  '132005': 'Texto de la plantilla demasiado largo',
  '132007': 'La plantilla incumple las políticas de formato',
  '132012': 'Formato de parámetros de la plantilla incorrecto',
  '132015': 'Plantilla pausada por baja calidad',
  '132016': 'Plantilla desactivada por baja calidad',
  '133010': 'Número de teléfono no registrado en la plataforma',
  unknown: 'Error sin código',
};

const ERROR_CODES_EN = {
  '130429': 'API send rate limit reached',
  '131000': 'Unknown WhatsApp error',
  '131005': 'Permission denied',
  '131008': 'A required parameter is missing',
  '131009': 'Invalid parameter value',
  '131021': 'The recipient is the business number itself',
  '131026': 'Message undeliverable (no WhatsApp or an old app)',
  '131031': 'Business account locked',
  '131042': 'Payment method problem on the account',
  '131045': 'Phone number not registered',
  '131047': 'More than 24 hours since the customer’s last message',
  '131048': 'Spam rate limit reached',
  '131049': 'Not delivered to protect the user experience',
  '131050': 'The customer stopped accepting marketing messages',
  '131051': 'Unsupported message type',
  '131052': 'The customer’s media could not be downloaded',
  '131053': 'The media could not be uploaded',
  '131056': 'Too many messages to the same number',
  '132000': 'Wrong number of template parameters',
  '132001': 'The template does not exist or is not approved in that language',
  '132005': 'Template text too long',
  '132007': 'The template breaks the format policy',
  '132012': 'Wrong template parameter format',
  '132015': 'Template paused for low quality',
  '132016': 'Template disabled for low quality',
  '133010': 'Phone number not registered on the platform',
  unknown: 'Error without a code',
};

/** What a Cloud API error code means, or '' for a code we do not know. */
export function describeErrorCode(code) {
  const table = currentLanguage() === 'en' ? ERROR_CODES_EN : ERROR_CODES_ES;
  return table[code] ?? '';
}

addMessages('es', {
  'dashboard.page': 'Estadísticas · WhatsApp CRM',
  'dashboard.title': 'Estadísticas',
  'dashboard.range': 'Periodo',
  'dashboard.since': 'Desde',
  'dashboard.until': 'Hasta',
  'dashboard.quick': 'Periodos rápidos',
  'dashboard.last7': '7 días',
  'dashboard.last30': '30 días',
  'dashboard.all': 'Todo',
  'dashboard.timezone': 'Días y horas en la zona horaria {zone}.',
  'dashboard.range.invalid': '«Desde» no puede ser posterior a «Hasta».',
  'dashboard.range.all': 'Todo el historial',
  'dashboard.range.from': 'Desde el {since}',
  'dashboard.range.to': 'Hasta el {until}',
  'dashboard.range.between': 'Del {since} al {until}',
  'dashboard.loading': 'Cargando estadísticas…',
  'dashboard.loaded': 'Estadísticas actualizadas: {range}.',
  'dashboard.error': 'No se pudieron cargar las estadísticas: {message}',
  'dashboard.retry': 'Reintentar',
  'dashboard.summary': 'Resumen',
  'dashboard.none': 'sin datos',
  'card.inbound_messages': 'Mensajes recibidos',
  'card.outbound_messages': 'Mensajes enviados',
  'card.bot_messages': 'Bot',
  'card.agent_messages': 'Agentes',
  'card.conversations': 'Conversaciones',
  'card.customers': 'Contactos',
  'card.linked_conversations': 'Vinculadas a un cliente',
  'card.unlinked_conversations': 'Sin vincular',
  'card.bot_replies': 'Respuestas del bot',
  'card.handoffs': 'Pasadas a un agente',
  'card.opt_outs': 'Bajas',
  'card.delivery_rate': 'Tasa de entrega',
  'card.read_rate': 'Tasa de lectura',
  'card.rate.detail': 'de los mensajes enviados',
  'card.first_response_bot': 'Primera respuesta del bot',
  'card.first_response_agent': 'Primera respuesta de un agente',
  'card.median': 'Mediana',
  'card.p90': 'p90',
  'card.responses': '{count} conversaciones',
  'chart.inbound': 'Recibidos',
  'chart.outbound': 'Enviados',
  'chart.days.title': 'Mensajes por día',
  'chart.days.axis': 'Mensajes',
  'chart.days.empty': 'No hay mensajes en este periodo.',
  'chart.days.summary':
    'Mensajes por día, {days} días: {inbound} recibidos y {outbound} enviados. El día con más mensajes fue el {busiest}, con {count}.',
  'chart.days.summary.empty': 'Mensajes por día: no hay mensajes en este periodo.',
  'chart.days.day': '{day}: {inbound} recibidos, {outbound} enviados',
  'chart.heatmap.title': 'Mensajes de clientes por día de la semana y hora',
  'chart.heatmap.summary':
    '{total} mensajes de clientes. La franja con más mensajes es el {weekday} de {hour}:00 a {hour}:59, con {count}.',
  'chart.heatmap.summary.empty': 'No hay mensajes de clientes en este periodo.',
  'chart.heatmap.cell': '{weekday}, de {hour}:00 a {hour}:59: {count} mensajes',
  'chart.heatmap.less': 'Menos',
  'chart.heatmap.more': 'Más',
  'chart.share.title': 'Mensajes enviados por el bot y por agentes',
  'chart.share.summary': 'Enviados: {bot} por el bot ({botShare}) y {agent} por agentes ({agentShare}).',
  'chart.share.summary.empty': 'No se ha enviado ningún mensaje en este periodo.',
  'chart.share.empty': 'Sin envíos',
  'chart.share.entry': '{name}: {count} ({share})',
  'chart.failures.title': 'Envíos fallidos por código de error',
  'chart.failures.empty': 'Sin fallos',
  'chart.failures.summary': '{total} envíos fallidos: {list}.',
  'chart.failures.summary.empty': 'Sin fallos de envío en este periodo.',
  'chart.failures.item': 'código {code}, {count}',
  'chart.failures.code': 'Código {code}: {count} fallos',
  'chart.response.title': 'Tiempo hasta la primera respuesta',
  'chart.response.summary':
    'Primera respuesta. Bot: mediana {botMedian}, p90 {botP90}. Agentes: mediana {agentMedian}, p90 {agentP90}.',
  'chart.response.median': 'Mediana',
  'chart.response.p90': 'Percentil 90',
  'chart.response.bot': 'Bot',
  'chart.response.agent': 'Agentes',
});

addMessages('en', {
  'dashboard.page': 'Statistics · WhatsApp CRM',
  'dashboard.title': 'Statistics',
  'dashboard.range': 'Period',
  'dashboard.since': 'From',
  'dashboard.until': 'To',
  'dashboard.quick': 'Quick periods',
  'dashboard.last7': '7 days',
  'dashboard.last30': '30 days',
  'dashboard.all': 'All time',
  'dashboard.timezone': 'Days and hours in the {zone} time zone.',
  'dashboard.range.invalid': '“From” cannot be after “To”.',
  'dashboard.range.all': 'All time',
  'dashboard.range.from': 'From {since}',
  'dashboard.range.to': 'Up to {until}',
  'dashboard.range.between': 'From {since} to {until}',
  'dashboard.loading': 'Loading statistics…',
  'dashboard.loaded': 'Statistics updated: {range}.',
  'dashboard.error': 'The statistics could not be loaded: {message}',
  'dashboard.retry': 'Try again',
  'dashboard.summary': 'Summary',
  'dashboard.none': 'no data',
  'card.inbound_messages': 'Messages received',
  'card.outbound_messages': 'Messages sent',
  'card.bot_messages': 'Bot',
  'card.agent_messages': 'Agents',
  'card.conversations': 'Conversations',
  'card.customers': 'Contacts',
  'card.linked_conversations': 'Linked to a client',
  'card.unlinked_conversations': 'Not linked',
  'card.bot_replies': 'Bot replies',
  'card.handoffs': 'Handed to an agent',
  'card.opt_outs': 'Opt-outs',
  'card.delivery_rate': 'Delivery rate',
  'card.read_rate': 'Read rate',
  'card.rate.detail': 'of the messages sent',
  'card.first_response_bot': 'Bot first response',
  'card.first_response_agent': 'Agent first response',
  'card.median': 'Median',
  'card.p90': 'p90',
  'card.responses': '{count} conversations',
  'chart.inbound': 'Received',
  'chart.outbound': 'Sent',
  'chart.days.title': 'Messages per day',
  'chart.days.axis': 'Messages',
  'chart.days.empty': 'No messages in this period.',
  'chart.days.summary':
    'Messages per day, {days} days: {inbound} received and {outbound} sent. The busiest day was {busiest}, with {count}.',
  'chart.days.summary.empty': 'Messages per day: no messages in this period.',
  'chart.days.day': '{day}: {inbound} received, {outbound} sent',
  'chart.heatmap.title': 'Customer messages by weekday and hour',
  'chart.heatmap.summary':
    '{total} customer messages. The busiest slot is {weekday} from {hour}:00 to {hour}:59, with {count}.',
  'chart.heatmap.summary.empty': 'No customer messages in this period.',
  'chart.heatmap.cell': '{weekday}, {hour}:00 to {hour}:59: {count} messages',
  'chart.heatmap.less': 'Less',
  'chart.heatmap.more': 'More',
  'chart.share.title': 'Messages sent by the bot and by agents',
  'chart.share.summary': 'Sent: {bot} by the bot ({botShare}) and {agent} by agents ({agentShare}).',
  'chart.share.summary.empty': 'No message was sent in this period.',
  'chart.share.empty': 'Nothing sent',
  'chart.share.entry': '{name}: {count} ({share})',
  'chart.failures.title': 'Failed sends by error code',
  'chart.failures.empty': 'No failures',
  'chart.failures.summary': '{total} failed sends: {list}.',
  'chart.failures.summary.empty': 'No failed sends in this period.',
  'chart.failures.item': 'code {code}, {count}',
  'chart.failures.code': 'Code {code}: {count} failures',
  'chart.response.title': 'Time to first response',
  'chart.response.summary':
    'First response. Bot: median {botMedian}, p90 {botP90}. Agents: median {agentMedian}, p90 {agentP90}.',
  'chart.response.median': 'Median',
  'chart.response.p90': '90th percentile',
  'chart.response.bot': 'Bot',
  'chart.response.agent': 'Agents',
});
