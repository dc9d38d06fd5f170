// The small "live / reconnecting" badge next to the list title.
import { h } from './dom.js';
import { t } from './i18n.js';

export class LiveIndicator {
  constructor() {
    this.state = 'connecting';
    this.element = h('span', { class: 'live', role: 'status', dataset: { state: this.state } });
    this.onLanguage = () => this.render();
    window.addEventListener('languagechange', this.onLanguage);
    this.render();
  }

  set(state) {
    this.state = state;
    this.render();
  }

  render() {
    this.element.dataset.state = this.state;
    this.element.replaceChildren(
      h('span', { class: 'live-dot', 'aria-hidden': 'true' }),
      t(`live.${this.state}`),
    );
  }

  destroy() {
    window.removeEventListener('languagechange', this.onLanguage);
  }
}

/**
 * Follow the event stream; after a reconnection, call onResync (events were missed).
 * Returns an AbortController that stops it.
 */
export function follow(service, indicator, { onEvent, onResync }) {
  const controller = new AbortController();
  let dropped = false;
  service
    .events({
      signal: controller.signal,
      onEvent,
      onStatus: (status) => {
        indicator.set(status);
        if (status === 'reconnecting') dropped = true;
        else if (status === 'live' && dropped) {
          dropped = false;
          onResync();
        }
      },
    })
    .catch(() => indicator.set('reconnecting'));
  return controller;
}
