"""A service's keys: open what parties and the Procesregisseur sealed, seal what it stores and sends.

- A party seals with its transport key, and reads what the hub seals for it with the same key;
  which key (of the party's versions) is the keyring's business (shared/crypto/transport_keys.py).
- The Procesregisseur's tool seals free text for the hub (reader `zorgtafel-hub`, a transport key
  like a party's).
- At rest, everything personal is sealed under the case's own data key, one per case in each
  service's own database (crypto-shredding: destroying the keys makes every copy unreadable).
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.intake import HUB_READER
from shared.crypto.keys import MasterKey, case_aad, case_kid
from shared.crypto.keystore import CaseKeyStore
from shared.crypto.sealing import Sealed, open_sealed, open_text, seal, seal_text
from shared.crypto.transport_keyring_file import TransportKeys

M = TypeVar("M", bound=BaseModel)


class HubKeys:
    def __init__(self, transport: TransportKeys, store: CaseKeyStore) -> None:
        self.transport = transport
        self.store = store

    @classmethod
    def from_settings(cls, settings: Any, case_keys: Table) -> HubKeys:
        """The service's keys: the master key from its settings, case keys in its own table, the
        parties' transport keys in the deployment's keyring."""
        master = MasterKey.from_base64(settings.master_key_id, settings.master_key.get_secret_value())
        return cls(TransportKeys.from_settings(settings, master), CaseKeyStore(case_keys, master))

    def open_from_party(self, party: str, sealed: Sealed, model: type[M], *, aad: bytes) -> M:
        """Raises CryptoError (wrong key, tampered; TransportKeyError for a kid the party may not
        use), KeyringError (transient) or ValidationError (bad content).

        The ValidationError is for `reasons_from`, which keeps field paths and codes only; it
        must never be logged or raised on, since it holds the opened input.
        """
        # What a party sealed is as untrusted as the rest of its message (shared/contracts/untrusted.py).
        key = self.transport.for_opening(party, sealed.kid)
        return model.model_validate_json(open_sealed(sealed, key, aad=aad), strict=True)

    def open_text_from_party(self, party: str, sealed: Sealed, *, aad: bytes) -> str:
        return open_text(sealed, self.transport.for_opening(party, sealed.kid), aad=aad)

    def open_text_from_hub(self, sealed: Sealed, *, aad: bytes) -> str:
        return open_text(sealed, self.transport.for_opening(HUB_READER, sealed.kid), aad=aad)

    def seal_text_for_party(self, party: str, text: str, *, aad: bytes) -> Sealed:
        kid, key = self.transport.for_sealing(party)
        return seal_text(text, key, kid=kid, aad=aad)

    async def open_for_case(self, session: AsyncSession, case_id: UUID, field: str, sealed: dict[str, str]) -> str:
        key = await self.store.get(session, case_id)
        return open_text(Sealed.model_validate(sealed), key, aad=case_aad(case_id, field))

    async def seal_for_case(
        self, session: AsyncSession, case_id: UUID, field: str, plaintext: str | BaseModel, *, new_case: bool = False
    ) -> dict[str, str]:
        """Sealed JSON for a column; `new_case` creates the case's data key in this transaction."""
        key = await (self.store.create if new_case else self.store.get)(session, case_id)
        raw = plaintext.model_dump_json() if isinstance(plaintext, BaseModel) else plaintext
        return seal(raw.encode(), key, kid=case_kid(case_id), aad=case_aad(case_id, field)).model_dump()
