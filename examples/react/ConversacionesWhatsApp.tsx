// A CRM client page's WhatsApp panel, for a CRM written in React: the client's conversations
// through the typed client the service serves (lib/conversaciones-whatsapp.js), kept current
// by the live-event stream, and the <crm-whatsapp-conversations> element for the chat itself.
// Type-checked in CI with `tsc -p tsconfig.react.json` (no bundler); see README.md here.
import { useEffect, useMemo, useState } from 'react';
import type { DetailedHTMLProps, HTMLAttributes, JSX } from 'react';

import { ApiError, ConversationsService } from 'crm-whatsapp/conversaciones-whatsapp';
import type {
  ConversationOut,
  LiveEvent,
  StreamStatus,
} from 'crm-whatsapp/conversaciones-whatsapp';

/** The attributes of the service's web component (docs/inbox.md, "The client widget"). */
interface CrmWhatsappConversationsAttributes
  extends DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement> {
  'client-id': string;
  'api-base'?: string;
  token?: string;
  lang?: 'es' | 'en';
}

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'crm-whatsapp-conversations': CrmWhatsappConversationsAttributes;
    }
  }
}

export interface ConversacionesWhatsAppProps {
  /** The CRM's id of the client whose page this is. */
  clientId: string;
  /** The crm_whatsapp service's root address, e.g. `https://whatsapp.example.com/`. */
  apiBase: string;
  /** An API token meant for the browser (the page can read it). */
  token: string;
  lang?: 'es' | 'en';
}

/** Events after which the client's list may have changed. */
const CHANGES = new Set(['message_stored', 'conversation_changed', 'resync']);

export function ConversacionesWhatsApp({
  clientId,
  apiBase,
  token,
  lang = 'es',
}: ConversacionesWhatsAppProps): JSX.Element {
  const service = useMemo(() => new ConversationsService({ apiBase, token }), [apiBase, token]);
  const [conversations, setConversations] = useState<ConversationOut[]>([]);
  const [stream, setStream] = useState<StreamStatus | 'connecting'>('connecting');
  const [problem, setProblem] = useState('');

  // The element is defined by widget.js, served by the service: load it once per service.
  useEffect(() => {
    const widget = new URL('inbox/widget.js', apiBase).href;
    import(/* webpackIgnore: true */ /* @vite-ignore */ widget).catch(() => {
      setProblem(`No se pudo cargar ${widget}`);
    });
  }, [apiBase]);

  useEffect(() => {
    let current = true;
    const load = async (): Promise<void> => {
      try {
        const page = await service.conversationsOfClient(clientId);
        if (current) {
          setConversations(page.items);
          setProblem('');
        }
      } catch (error: unknown) {
        if (current) setProblem(error instanceof ApiError ? error.message : String(error));
      }
    };
    void load();
    const stop = new AbortController();
    void service.events({
      signal: stop.signal,
      onStatus: setStream,
      onEvent: (event: LiveEvent) => {
        if (CHANGES.has(event.type)) void load();
      },
    });
    return () => {
      current = false;
      stop.abort();
    };
  }, [service, clientId]);

  const unread = conversations.reduce((sum, c) => sum + c.unread_count, 0);
  return (
    <section aria-labelledby="whatsapp-title">
      <h2 id="whatsapp-title">
        WhatsApp ({conversations.length}, {unread} sin leer)
      </h2>
      <p role="status">{stream === 'live' ? 'En directo' : 'Conectando…'}</p>
      {problem && <p role="alert">{problem}</p>}
      <ul>
        {conversations.map((conversation) => (
          <li key={conversation.id}>
            <strong>{conversation.display_name}</strong> {conversation.last_preview}
            {conversation.bot_paused ? ` · atendida por ${conversation.assigned_agent ?? '—'}` : ''}
          </li>
        ))}
      </ul>
      <crm-whatsapp-conversations
        client-id={clientId}
        api-base={apiBase}
        token={token}
        lang={lang}
        style={{ display: 'block', height: '32rem' }}
      />
    </section>
  );
}
