"""A ClientLookup over a list of clients, indexed by the same phone keys the SQL one uses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from crm_whatsapp.domain.identity import ClientMatch, ClientRef
from crm_whatsapp.domain.phone import PhoneNumber, parsed_numbers
from crm_whatsapp.domain.policy.text import normalize


class InMemoryClientLookup:
    """Clients with their phone numbers in any format (as a CRM stores them).

    Numbers that cannot be parsed are ignored rather than refused, like a real CRM table
    full of "no tiene" and "ver notas".
    """

    def __init__(
        self,
        clients: Iterable[tuple[ClientRef, Sequence[str]]] = (),
        default_region: str | None = None,
    ) -> None:
        self._default_region = default_region
        self._clients: dict[str, ClientRef] = {}
        self._phones: dict[str, list[PhoneNumber]] = defaultdict(list)
        self._by_key: dict[str, dict[str, ClientRef]] = defaultdict(dict)
        for client, phones in clients:
            self.add(client, *phones)

    def add(self, client: ClientRef, *phones: str) -> None:
        self._clients[client.id] = client
        for number in parsed_numbers(phones, self._default_region):
            self._phones[client.id].append(number)
            for key in number.lookup_keys():
                self._by_key[key][client.id] = client

    def by_phone(self, phone: PhoneNumber) -> ClientMatch:
        found: dict[str, ClientRef] = {}
        for key in phone.lookup_keys():
            found.update(self._by_key.get(key, {}))
        return ClientMatch(tuple(found[cid] for cid in sorted(found)))

    def by_id(self, client_id: str) -> ClientRef | None:
        return self._clients.get(client_id)

    def phones_of(self, client_id: str) -> Sequence[PhoneNumber]:
        return tuple(self._phones.get(client_id, ()))

    def search(self, text: str, limit: int = 20) -> Sequence[ClientRef]:
        wanted = normalize(text)
        hits = [
            c
            for c in self._clients.values()
            if c.id == text.strip() or (wanted and wanted in normalize(c.name))
        ]
        return sorted(hits, key=lambda c: (c.id != text.strip(), c.name))[:limit]
