// @ts-check
// Who is signed in, as `GET /api/v1/yo` says: an agent (a token the host CRM signed for one
// of its users) or the service (a static API token), and what the token may do. The pages
// use it to name the person in the header, to leave the agent's name out of replies when
// the token already says who writes, and to hide what the token's scopes do not allow.

/**
 * @typedef {import('./conversaciones-whatsapp.js').ConversationsService} ConversationsService
 * @typedef {import('./conversaciones-whatsapp.js').MeOut} MeOut
 * @typedef {import('./conversaciones-whatsapp.js').Scope} Scope
 * @typedef {import('./conversaciones-whatsapp.js').ConversationOut} ConversationOut
 */

export class Identity {
  /** @param {MeOut | null} me the API's answer; null: not known (everything allowed) */
  constructor(me) {
    this.me = me;
  }

  /** An agent token: the token names the person; replies carry no `agent`. */
  get isAgent() {
    return this.me?.actor.kind === 'agent';
  }

  /** The agent's id in the host CRM (the token's `sub`), or null. */
  get agentId() {
    return this.isAgent ? this.me?.actor.id || null : null;
  }

  /** The agent's name, or null for the service. */
  get agentName() {
    return this.isAgent ? this.me?.actor.name || null : null;
  }

  /**
   * Whether the token has the scope. Unknown (`/yo` did not answer) allows it: the server
   * decides anyway, and a control hidden by mistake is worse than a 403 explained.
   * @param {Scope} scope
   */
  can(scope) {
    return this.me === null || this.me.scopes.includes(scope);
  }

  /**
   * Whether the conversation is assigned to this agent.
   * @param {ConversationOut | null} conversation
   */
  owns(conversation) {
    const id = this.agentId;
    return Boolean(id && conversation?.assigned_agent_id === id);
  }
}

/** @type {WeakMap<ConversationsService, Promise<Identity>>} */
const known = new WeakMap();

/**
 * The identity of a service's token, asked once per service object (the pages share it).
 * A failure other than a 401 gives an unknown identity for now (everything shown, the
 * server decides) and is asked again next time; a 401 rejects (the service's
 * onUnauthorized has run).
 * @param {ConversationsService} service
 * @returns {Promise<Identity>}
 */
export function identityOf(service) {
  let promise = known.get(service);
  if (!promise) {
    promise = service.me().then(
      (me) => new Identity(me),
      (error) => {
        known.delete(service); // asked again next time
        if (error && typeof error === 'object' && 'status' in error && error.status === 401) {
          throw error;
        }
        return new Identity(null);
      },
    );
    known.set(service, promise);
  }
  return promise;
}

/**
 * Start a service's identity from an answer already in hand (the sign-in screen's).
 * @param {ConversationsService} service
 * @param {MeOut} me
 */
export function rememberIdentity(service, me) {
  known.set(service, Promise.resolve(new Identity(me)));
}
