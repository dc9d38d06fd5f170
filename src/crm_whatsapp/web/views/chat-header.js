// @ts-check
// The chat's header: who the customer is, who has the conversation and where it stands
// (assignment and status), and the actions the token's scopes allow. Without `reply` the
// assignment and status are shown as text; without `manage` linking a client is a
// disabled button that says why.
import { activeElementOf, h, srOnly, uid } from '../lib/dom.js';
import { formatDateTime, t } from '../lib/i18n.js';
import { customerNumber } from './conversation-list.js';

/**
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationOut} ConversationOut
 * @typedef {import('../lib/conversaciones-whatsapp.js').ConversationStatus} ConversationStatus
 * @typedef {import('../lib/identity.js').Identity} Identity
 * @typedef {string | ((conversation: ConversationOut) => string)} DoneText
 */
/**
 * @typedef {object} HeaderContext
 * @property {ConversationsService} service
 * @property {Identity | null} identity null until `/yo` answers (everything shown)
 * @property {string} agentName the name typed in the composer (a service token's agent)
 * @property {() => void} onBack
 * @property {(run: (id: string) => Promise<ConversationOut>, done: DoneText) => unknown} act
 * @property {() => unknown} linkClient
 * @property {() => unknown} assignOther
 * @property {(text: string) => void} explain shows why a control is disabled
 */

/** @type {readonly ConversationStatus[]} */
export const STATUSES = ['open', 'pending', 'resolved'];

/**
 * The conversation's status in words: Abierta, Pendiente, Resuelta.
 * @param {ConversationOut} conversation
 * @returns {string}
 */
export function statusText(conversation) {
  return t(`conversation.status.${conversation.status || 'open'}`);
}

/**
 * "No acepta mensajes de marketing desde <fecha>": the customer stopped them in WhatsApp.
 * @param {string | null} since when they did, if known
 * @returns {HTMLParagraphElement}
 */
function marketingNotice(since) {
  const text = since ? t('chat.marketing_opt_out.since') : t('chat.marketing_opt_out');
  const [before, after = ''] = text.split('{date}');
  return h(
    'p',
    { class: 'chat-marketing' },
    before,
    since && [h('time', { datetime: since }, formatDateTime(since)), after],
  );
}

/**
 * @param {string} label
 * @param {string} key names the control for tests, styles and focus after a redraw
 * @param {() => unknown} onClick
 * @returns {HTMLButtonElement}
 */
function button(label, key, onClick) {
  return h(
    'button',
    {
      type: 'button',
      class: ['button', `action-${key}`],
      dataset: { focus: key },
      on: { click: onClick },
    },
    label,
  );
}

/**
 * A control the token may not use: focusable, dimmed, and saying why when pressed.
 * @param {string} label
 * @param {string} key
 * @param {string} reason
 * @param {(text: string) => void} explain
 * @returns {HTMLButtonElement}
 */
function refused(label, key, reason, explain) {
  return h(
    'button',
    {
      type: 'button',
      class: ['button', `action-${key}`, 'button-refused'],
      dataset: { focus: key },
      'aria-disabled': 'true',
      title: reason,
      on: { click: () => explain(reason) },
    },
    label,
    srOnly(` (${reason})`),
  );
}

/**
 * Assignment and status: controls with `reply`, text without.
 * @param {ConversationOut} c
 * @param {HeaderContext} ctx
 * @returns {HTMLDivElement}
 */
function teamBar(c, ctx) {
  const identity = ctx.identity;
  const canReply = !identity || identity.can('reply');
  const assignee = h(
    'span',
    {
      class: ['chat-assignee', c.assigned_agent ? 'assigned' : 'unassigned'],
      dataset: { assignedAgentId: c.assigned_agent_id || '' },
    },
    c.assigned_agent
      ? identity?.owns(c)
        ? t('chat.assigned.me', { agent: c.assigned_agent })
        : t('chat.assigned', { agent: c.assigned_agent })
      : t('chat.unassigned'),
  );
  if (!canReply) {
    return h(
      'div',
      { class: 'chat-team', role: 'group', 'aria-label': t('chat.team') },
      assignee,
      h('span', { class: 'chat-status', dataset: { status: c.status } }, statusText(c)),
    );
  }
  const selectId = uid('chat-status');
  const select = h(
    'select',
    {
      id: selectId,
      class: 'chat-status-select',
      dataset: { focus: 'status', status: c.status },
      on: {
        change: () => {
          const status = /** @type {ConversationStatus} */ (select.value);
          ctx.act(
            (id) => ctx.service.setStatus(id, status),
            (conversation) => t('action.done.status', { status: statusText(conversation) }),
          );
        },
      },
    },
    STATUSES.map((status) => h('option', { value: status }, t(`conversation.status.${status}`))),
  );
  select.value = c.status || 'open';
  return h(
    'div',
    { class: 'chat-team', role: 'group', 'aria-label': t('chat.team') },
    assignee,
    identity?.isAgent &&
      !identity.owns(c) &&
      button(t('action.assign.me'), 'assign-me', () =>
        ctx.act((id) => ctx.service.assign(id, 'me'), t('action.done.assign.me')),
      ),
    button(t('action.assign.other'), 'assign-other', () => ctx.assignOther()),
    c.assigned_agent &&
      button(t('action.assign.nobody'), 'assign-nobody', () =>
        ctx.act((id) => ctx.service.assign(id, null), t('action.done.assign.nobody')),
      ),
    h(
      'span',
      { class: 'chat-status-field' },
      h('label', { for: selectId }, t('chat.status'), srOnly(` ${t('chat.status.of')}`)),
      select,
    ),
  );
}

/**
 * The actions the token allows on the conversation.
 * @param {ConversationOut} c
 * @param {HeaderContext} ctx
 * @returns {Array<HTMLButtonElement | false | null>}
 */
function actions(c, ctx) {
  const identity = ctx.identity;
  const canReply = !identity || identity.can('reply');
  const canManage = !identity || identity.can('manage');
  const noManage = t('scope.missing.manage');
  const agent = identity?.isAgent ? null : ctx.agentName;
  return [
    canReply &&
      (c.bot_paused
        ? button(t('action.give_back'), 'resume', () =>
            ctx.act((id) => ctx.service.resumeBot(id), t('action.done.give_back')),
          )
        : !identity?.isAgent && // an agent takes it with "Asignarme"
          button(t('action.take'), 'take', () =>
            ctx.act((id) => ctx.service.pauseBot(id, agent), t('action.done.take')),
          )),
    canManage
      ? button(t('action.link'), 'link', () => ctx.linkClient())
      : refused(t('action.link'), 'link', noManage, ctx.explain),
    c.client &&
      (canManage
        ? button(t('action.unlink'), 'unlink', () =>
            ctx.act((id) => ctx.service.unlinkClient(id), t('action.done.unlink')),
          )
        : refused(t('action.unlink'), 'unlink', noManage, ctx.explain)),
    canReply &&
      button(t('action.read'), 'read', () =>
        ctx.act((id) => ctx.service.markRead(id), t('action.done.read')),
      ),
  ];
}

/**
 * Draw the header of the open conversation (`c` null: still loading) into `header`,
 * keeping the keyboard focus on the same control. Returns the title's id (or null).
 * @param {HTMLElement} header
 * @param {ConversationOut | null} c
 * @param {HeaderContext} ctx
 * @returns {string | null}
 */
export function renderChatHeader(header, c, ctx) {
  const back = h(
    'button',
    {
      type: 'button',
      class: 'button button-quiet chat-back',
      'aria-label': t('chat.back'),
      title: t('chat.back'),
      on: { click: () => ctx.onBack() },
    },
    h('span', { 'aria-hidden': 'true' }, '←'),
  );
  if (!c) {
    header.replaceChildren(back, h('h2', { class: 'chat-title' }, t('chat.loading')));
    return null;
  }
  const titleId = uid('chat-title');
  const state = c.bot_paused
    ? c.assigned_agent
      ? t('chat.paused', { agent: c.assigned_agent })
      : t('chat.paused.nobody')
    : t('chat.bot_active');
  const active = activeElementOf(header);
  const focused =
    active instanceof HTMLElement && header.contains(active) ? active.dataset.focus || null : null;
  header.replaceChildren(
    back,
    h(
      'div',
      { class: 'chat-heading' },
      h('h2', { id: titleId, class: 'chat-title' }, c.display_name || customerNumber(c)),
      h(
        'p',
        { class: 'chat-subtitle' },
        h('span', { class: 'chat-number' }, customerNumber(c)),
        ' · ',
        h(
          'span',
          { class: 'chat-client' },
          c.client ? t('chat.client', { name: c.client.name || c.client.id }) : t('chat.no_client'),
        ),
        ' · ',
        h(
          'span',
          {
            class: ['chat-bot-state', c.bot_paused ? 'paused' : 'active'],
            dataset: { botPaused: String(c.bot_paused) },
          },
          state,
        ),
        c.opted_out && [' · ', h('span', { class: 'chat-opted-out' }, t('chat.opted_out'))],
      ),
      c.marketing_opt_out && marketingNotice(c.marketing_preference_at),
    ),
    h(
      'div',
      { class: 'chat-actions', role: 'group', 'aria-label': t('chat.actions') },
      actions(c, ctx),
    ),
    teamBar(c, ctx),
  );
  if (focused) {
    /** @type {HTMLElement | null} */
    const again =
      header.querySelector(`[data-focus="${focused}"]`) ||
      header.querySelector('.chat-status-select, .action-take, .action-resume') ||
      header.querySelector('.action-assign-other');
    again?.focus();
  }
  return titleId;
}
