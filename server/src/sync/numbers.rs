//! Record numbers: the company's counter per prefix and year lives in the store; blocks are issued to
//! users (REST `POST /api/v1/numbers`, imports) and remembered in the catalog for the number gate.

use app::domain::ops::{format_number, number_year, parse_number, IssuedBlock, NumberBlock};
use app::domain::{DocId, Timestamp, UserId};

use super::{blocking, Hub, SyncError};

impl Hub {
    /// Issues `count` numbers of `prefix` for the year of `now` to `user`. The counter first moves above
    /// every number stored in a record, so stores from before this counter (and imported numbers) are
    /// never issued again. The block is durable and known to the gate before this returns.
    pub async fn reserve_numbers(
        &self,
        user: &UserId,
        prefix: &str,
        now: Timestamp,
        count: u32,
    ) -> Result<NumberBlock, SyncError> {
        self.reserve_in(user, prefix, number_year(now), count).await
    }

    async fn reserve_in(&self, user: &UserId, prefix: &str, year: i32, count: u32) -> Result<NumberBlock, SyncError> {
        let floor = self.cat().highest_number(prefix, year);
        let (store, u, p) = (self.inner.store.clone(), user.clone(), prefix.to_string());
        let block = blocking(move || store.reserve_numbers(&u, &p, year, floor, count)).await??;
        self.cat_mut().issued.push(IssuedBlock { user: user.clone(), block: block.clone() });
        Ok(block)
    }

    /// The blocks issued to `user` so far.
    pub fn issued_numbers(&self, user: &UserId) -> Vec<NumberBlock> {
        self.cat().issued.iter().filter(|b| &b.user == user).map(|b| b.block.clone()).collect()
    }

    /// Loads the issued blocks into the catalog and renumbers duplicates (at start).
    pub(crate) async fn load_issued_numbers(&self) -> Result<(), SyncError> {
        let store = self.inner.store.clone();
        let issued = blocking(move || store.issued_numbers()).await??;
        self.cat_mut().issued = issued;
        self.renumber_duplicates().await
    }

    /// Stores from before the relay issued numbers may hold one number on several records (devices picked
    /// them from what they could see). The earliest-created record keeps it; each later one gets a fresh
    /// number from the counter, written by the relay like any other change (so every device sees it).
    /// Runs at every start and finds nothing once done.
    async fn renumber_duplicates(&self) -> Result<(), SyncError> {
        let dupes: Vec<Vec<DocId>> =
            self.cat().numbers.values().filter(|ids| ids.len() > 1).map(|ids| ids.iter().cloned().collect()).collect();
        let relay = UserId::new("relay");
        for ids in dupes {
            let mut dated = Vec::new();
            for id in ids {
                let Some(doc) = self.load(&id).await? else { continue };
                let created =
                    autosurgeon::hydrate_prop::<_, i64, _, _>(&doc, automerge::ROOT, "created_at").unwrap_or(0);
                let number = crate::docstore::DocMeta::read(&doc).number;
                dated.push((created, id, number));
            }
            dated.sort();
            for (_, id, number) in dated.into_iter().skip(1) {
                let Some((prefix, year, _)) = number.as_deref().and_then(parse_number) else { continue };
                let (prefix, old) = (prefix.to_string(), number.clone().unwrap_or_default());
                let block = self.reserve_in(&relay, &prefix, year, 1).await?;
                let fresh = format_number(&prefix, block.year, block.first);
                tracing::warn!(doc = %id, from = %old, to = %fresh, "renumbered a duplicate record number");
                self.relay_write(&id, move |tx, _| {
                    automerge::transaction::Transactable::put(tx, automerge::ROOT, "number", fresh.as_str())?;
                    Ok(())
                })
                .await?;
            }
        }
        Ok(())
    }

    /// For an import by `user` of at most `rows` records per prefix: numbers the import must treat as in
    /// use. Every number issued to anyone (so a number given by the file cannot take one a device holds),
    /// and, unless `dry_run`, the number just below a fresh block issued to `user`, so the numbers the
    /// import makes continue inside that block. Unused numbers of the block stay gaps.
    pub async fn numbers_for_import(
        &self,
        user: &UserId,
        prefixes: &[&str],
        now: Timestamp,
        rows: u32,
        dry_run: bool,
    ) -> Result<Vec<String>, SyncError> {
        let mut out: Vec<String> = self
            .cat()
            .issued
            .iter()
            .flat_map(|b| (b.block.first..=b.block.last).map(|s| format_number(&b.block.prefix, b.block.year, s)))
            .collect();
        if !dry_run {
            for prefix in prefixes {
                let block = self.reserve_numbers(user, prefix, now, rows.max(1)).await?;
                out.push(format_number(prefix, block.year, block.first - 1));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use app::domain::docs::init_record;
    use app::domain::{Customer, DocId, Timestamp, UserId};
    use automerge::AutoCommit;

    use crate::docstore::{DocMeta, DocStore, MemoryStore};
    use crate::sync::{Hub, HubConfig};

    fn customer(store: &MemoryStore, n: u8, number: &str, created: i64) -> DocId {
        let id = DocId::from_bytes([n; 16]);
        let u = UserId::new("rep1");
        let c = Customer::new(&format!("Customer {n}"), number, Some(u.clone()), &u, Timestamp::from_millis(created))
            .unwrap();
        let mut d = AutoCommit::new();
        init_record(&mut d, &c).unwrap();
        let doc = d.document().clone();
        store.append(&id, &doc.save(), &DocMeta::read(&doc), &crate::docstore::Origin::relay(vec![])).unwrap();
        id
    }

    #[tokio::test]
    async fn duplicates_from_older_stores_are_renumbered_once() {
        let store = Arc::new(MemoryStore::new());
        let first = customer(&store, 1, "CUS-2026-0012", 1_767_225_600_000);
        let later = customer(&store, 2, "CUS-2026-0012", 1_767_312_000_000);
        let other = customer(&store, 3, "CUS-2026-0040", 1_767_312_000_000);
        let hub = Hub::open(store.clone(), HubConfig::default()).await.unwrap();
        let number = |id: &DocId| hub.cat().metas.get(id).and_then(|m| m.number.clone()).unwrap();
        assert_eq!(number(&first), "CUS-2026-0012");
        assert_eq!(number(&other), "CUS-2026-0040");
        // Above every stored number; stored, so a restart keeps it and changes nothing more.
        assert_eq!(number(&later), "CUS-2026-0041");
        let stored = hub.load(&later).await.unwrap().unwrap();
        assert_eq!(DocMeta::read(&stored).number.as_deref(), Some("CUS-2026-0041"));
        drop(hub);
        let again = Hub::open(store, HubConfig::default()).await.unwrap();
        assert_eq!(again.cat().metas.get(&later).and_then(|m| m.number.clone()).as_deref(), Some("CUS-2026-0041"));
        assert_eq!(again.issued_numbers(&UserId::new("relay")).len(), 1);
    }
}
