//! The relay's in-memory catalog: every document's metadata, the current directory, and what each user's
//! index holds. All read-gate decisions are made here, from [`app::domain::access`]; nothing else decides
//! who sees a document.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use app::domain::{
    access, companion_groups, Directory, DocId, DocKind, FieldGroup, LinkedRecord, RecordKind, RecordMeta, Role, Scope,
    UserId,
};

use crate::docstore::DocMeta;

/// One entry of a user's index document (its wire format: [`app::domain::docs::index`]).
pub use app::domain::docs::IndexEntry;

/// One user's index change: entries to add, ids to remove.
pub type IndexChange = (UserId, Vec<(DocId, IndexEntry)>, Vec<DocId>);

#[derive(Default)]
pub struct Catalog {
    pub metas: HashMap<DocId, DocMeta>,
    pub directory: Arc<Directory>,
    /// Customer id → main documents that link to it (their visibility follows its maintainer).
    pub by_customer: HashMap<DocId, HashSet<DocId>>,
    /// What each user's index document lists now (kept equal to the stored index documents).
    pub indexed: HashMap<UserId, BTreeMap<DocId, IndexEntry>>,
    /// Record → the customer it linked to before its latest link change (whose readers must be looked at).
    pub unlinked: HashMap<DocId, DocId>,
    /// Record number → the records that carry it (more than one only in stores from before numbers were
    /// issued by the relay).
    pub numbers: HashMap<String, HashSet<DocId>>,
    /// Every block of numbers the relay issued, and to whom (the number gate checks new numbers here).
    pub issued: Vec<app::domain::ops::IssuedBlock>,
}

impl Catalog {
    /// How many deals each stage has (every deal: open, closed, archived).
    pub fn deals_per_stage(&self) -> app::domain::pipeline::StagesInUse {
        let mut out = app::domain::pipeline::StagesInUse::new();
        for m in self.metas.values() {
            if let (Some(DocKind::Record(RecordKind::Opportunity)), Some(s)) = (m.kind, &m.stage) {
                *out.entry(s.clone()).or_default() += 1;
            }
        }
        out
    }

    pub fn exists(&self, id: &DocId) -> bool {
        self.metas.contains_key(id)
    }

    /// Inserts or replaces a document's metadata, keeping the customer links current.
    pub fn set_meta(&mut self, id: &DocId, meta: DocMeta) {
        if let Some(old) = self.metas.get(id) {
            if let Some(c) = &old.customer {
                if let Some(set) = self.by_customer.get_mut(c) {
                    set.remove(id);
                }
                if meta.customer.as_ref() != Some(c) {
                    self.unlinked.insert(id.clone(), c.clone());
                }
            }
            if let Some(n) = &old.number {
                if let Some(set) = self.numbers.get_mut(n) {
                    set.remove(id);
                    if set.is_empty() {
                        self.numbers.remove(n);
                    }
                }
            }
        }
        if let Some(c) = &meta.customer {
            self.by_customer.entry(c.clone()).or_default().insert(id.clone());
        }
        if let Some(n) = &meta.number {
            self.numbers.entry(n.clone()).or_default().insert(id.clone());
        }
        self.metas.insert(id.clone(), meta);
    }

    /// Forgets a document (deleted from the store). Only companions are ever deleted; they carry no customer
    /// link or number, so no other table refers to them.
    pub fn remove(&mut self, id: &DocId) {
        self.metas.remove(id);
    }

    /// The policy's view of a main record document (`customer_owner` looked up through its customer link).
    pub fn record_meta(&self, id: &DocId) -> Option<RecordMeta> {
        let meta = self.metas.get(id)?;
        let Some(DocKind::Record(kind)) = meta.kind else { return None };
        let customer_owner = meta.customer.as_ref().and_then(|c| self.metas.get(c)).and_then(|c| c.owner.clone());
        // A customer's readers include the readers of the records linked to it (the policy's implicit read).
        let linked = match kind {
            RecordKind::Customer => self
                .by_customer
                .get(id)
                .into_iter()
                .flatten()
                .filter_map(|d| {
                    let m = self.metas.get(d)?;
                    let Some(DocKind::Record(kind)) = m.kind else { return None };
                    Some(LinkedRecord { kind, owner: m.owner.clone() })
                })
                .collect(),
            _ => Vec::new(),
        };
        Some(RecordMeta { kind, owner: meta.owner.clone(), customer_owner, linked })
    }

    /// Does a record other than `id` carry `number`?
    pub fn number_taken(&self, number: &str, id: &DocId) -> bool {
        self.numbers.get(number).is_some_and(|ids| ids.iter().any(|d| d != id))
    }

    /// The highest sequence of `prefix` in `year` among stored records (the counter starts above it).
    pub fn highest_number(&self, prefix: &str, year: i32) -> u32 {
        app::domain::ops::highest(prefix, year, self.numbers.keys().map(String::as_str))
    }

    fn active(&self, user: &UserId) -> bool {
        self.directory.user(user).is_some_and(|u| !u.disabled)
    }

    /// The read gate: may `user` receive document `id`? Unknown documents: no.
    pub fn readable(&self, user: &UserId, id: &DocId) -> bool {
        let Some(meta) = self.metas.get(id) else { return false };
        match meta.kind {
            Some(DocKind::Directory) => self.active(user),
            Some(DocKind::Index) => meta.user.as_ref() == Some(user) && self.active(user),
            Some(DocKind::Record(_)) => {
                self.record_meta(id).is_some_and(|m| access(user, &self.directory, &m).visible())
            }
            Some(DocKind::Companion(group)) => self.companion_perm(user, meta, group).can_read(),
            None => false,
        }
    }

    /// A companion's permission: its group's rule on the main record (never on the companion's own keys).
    pub fn companion_perm(&self, user: &UserId, meta: &DocMeta, group: FieldGroup) -> app::domain::Perm {
        let Some(rec) = meta.record.as_ref().and_then(|r| self.record_meta(r)) else { return app::domain::Perm::None };
        if !companion_groups(rec.kind).contains(&group) {
            return app::domain::Perm::None;
        }
        access(user, &self.directory, &rec).group(group)
    }

    /// The index entry for a record or companion document (`None` for other kinds).
    pub fn index_entry(&self, id: &DocId) -> Option<IndexEntry> {
        let meta = self.metas.get(id)?;
        match meta.kind? {
            DocKind::Record(k) => Some(IndexEntry { kind: k.as_str().into(), record: id.clone() }),
            DocKind::Companion(g) => Some(IndexEntry { kind: g.as_str().into(), record: meta.record.clone()? }),
            _ => None,
        }
    }

    /// Users who might read a main record: its owner, its customer's maintainer, and everyone whose role
    /// reaches beyond their own records for this kind. A superset; [`Catalog::readable`] decides.
    fn candidates(&self, rec: &RecordMeta, teams: &HashMap<UserId, BTreeSet<UserId>>) -> Vec<UserId> {
        let dir = &self.directory;
        let mut out: Vec<UserId> = Vec::new();
        // Owners whose records this user may read through: the record's, its customer's, and (customers)
        // those of the records linked to it.
        let owners = || {
            [&rec.owner, &rec.customer_owner]
                .into_iter()
                .flatten()
                .chain(rec.linked.iter().filter_map(|l| l.owner.as_ref()))
        };
        let in_team = |u: &UserId| teams.get(u).is_some_and(|members| owners().any(|o| members.contains(o)));
        for u in &dir.users {
            let Some(rules) = dir.policy.rules(u.role) else { continue };
            let rule = match rec.kind {
                RecordKind::Lead => rules.leads,
                RecordKind::Opportunity => rules.opportunities,
                RecordKind::Customer => rules.customers,
                RecordKind::Contact => rules.contacts,
                RecordKind::Activity => rules.activities,
            };
            let broad = rule.scope == Scope::All
                || (rule.scope == Scope::Team && in_team(&u.id))
                || (rule.scope == Scope::OwnOrPool && rec.owner.is_none())
                || u.role == Role::Admin;
            if broad || owners().any(|o| o == &u.id) {
                out.push(u.id.clone());
            }
        }
        out
    }

    /// Every user's readable record and companion documents (what their index should list).
    pub fn desired_indexes(&self) -> HashMap<UserId, BTreeMap<DocId, IndexEntry>> {
        let mut out: HashMap<UserId, BTreeMap<DocId, IndexEntry>> =
            self.directory.users.iter().map(|u| (u.id.clone(), BTreeMap::new())).collect();
        let teams = self.teams();
        for (id, meta) in &self.metas {
            if matches!(meta.kind, Some(DocKind::Record(_))) {
                self.readers(id, &teams, |user, doc, entry| {
                    out.entry(user.clone()).or_default().insert(doc, entry);
                });
            }
        }
        out
    }

    /// Team members of everyone who has a team-wide rule, computed once (not once per record).
    fn teams(&self) -> HashMap<UserId, BTreeSet<UserId>> {
        self.directory
            .users
            .iter()
            .filter(|u| {
                self.directory.policy.rules(u.role).is_some_and(|r| {
                    [r.leads, r.opportunities, r.customers, r.contacts, r.activities]
                        .iter()
                        .any(|rule| rule.scope == Scope::Team)
                })
            })
            .map(|u| (u.id.clone(), self.directory.team_members(&u.id)))
            .collect()
    }

    /// Calls `found(user, doc, entry)` for every user who may read main record `id`, for it and for each of
    /// its stored companions that user may read.
    fn readers(
        &self,
        id: &DocId,
        teams: &HashMap<UserId, BTreeSet<UserId>>,
        mut found: impl FnMut(&UserId, DocId, IndexEntry),
    ) {
        let Some(rec) = self.record_meta(id) else { return };
        let companions: Vec<(DocId, FieldGroup)> = companion_groups(rec.kind)
            .iter()
            .map(|g| (id.companion(*g), *g))
            .filter(|(c, _)| self.metas.contains_key(c))
            .collect();
        for user in self.candidates(&rec, teams) {
            let acc = access(&user, &self.directory, &rec);
            if !acc.visible() {
                continue;
            }
            found(&user, id.clone(), IndexEntry { kind: rec.kind.as_str().into(), record: id.clone() });
            for (c, g) in &companions {
                if acc.group(*g).can_read() {
                    found(&user, c.clone(), IndexEntry { kind: g.as_str().into(), record: id.clone() });
                }
            }
        }
    }

    /// [`Catalog::index_diff`] for many documents at once (a bulk create: an import): each record's readers
    /// are found once from its candidates, instead of asking every user about every document. Equal to
    /// `index_diff(docs)` (a test says so).
    pub fn index_diff_bulk(&self, docs: &[DocId]) -> Vec<IndexChange> {
        let teams = self.teams();
        let docs: HashSet<&DocId> = docs.iter().collect();
        // The main records of the documents (a companion's visibility is its record's).
        let records: BTreeSet<DocId> = docs
            .iter()
            .filter_map(|d| match self.metas.get(*d)?.kind? {
                DocKind::Record(_) => Some((*d).clone()),
                DocKind::Companion(_) => self.metas.get(*d)?.record.clone(),
                _ => None,
            })
            .collect();
        let mut want: HashMap<UserId, BTreeMap<DocId, IndexEntry>> = HashMap::new();
        for r in &records {
            self.readers(r, &teams, |user, doc, entry| {
                if docs.contains(&doc) {
                    want.entry(user.clone()).or_default().insert(doc, entry);
                }
            });
        }
        let mut out = Vec::new();
        for u in &self.directory.users {
            let current = self.indexed.get(&u.id);
            let wanted = want.remove(&u.id).unwrap_or_default();
            let add: Vec<(DocId, IndexEntry)> = wanted
                .iter()
                .filter(|(d, _)| !current.is_some_and(|c| c.contains_key(*d)))
                .map(|(d, e)| (d.clone(), e.clone()))
                .collect();
            let remove: Vec<DocId> = match current {
                Some(c) => docs
                    .iter()
                    .filter(|d| c.contains_key(**d) && !wanted.contains_key(**d))
                    .map(|d| (*d).clone())
                    .collect(),
                None => Vec::new(),
            };
            if !add.is_empty() || !remove.is_empty() {
                out.push((u.id.clone(), add, remove));
            }
        }
        out
    }

    /// Documents whose visibility may change when `id`'s metadata changes: itself, its companions, and
    /// (for a customer) every record linked to it with their companions.
    pub fn affected_by(&self, id: &DocId) -> Vec<DocId> {
        let mut out = vec![id.clone()];
        let add_with_companions = |d: &DocId, out: &mut Vec<DocId>| {
            for g in FieldGroup::COMPANIONS {
                let c = d.companion(g);
                if self.metas.contains_key(&c) {
                    out.push(c);
                }
            }
        };
        add_with_companions(id, &mut out);
        if let Some(linked) = self.by_customer.get(id) {
            for d in linked {
                out.push(d.clone());
                add_with_companions(d, &mut out);
            }
        }
        if let Some(r) = self.metas.get(id).and_then(|m| m.record.clone()) {
            out.push(r);
        }
        // A linked record's readers read its customer: the customer it links to now, and the one it linked
        // to before (whose implicit readers may have lost it).
        out.extend(self.metas.get(id).and_then(|m| m.customer.clone()));
        out.extend(self.unlinked.get(id).cloned());
        out
    }

    /// Index changes over `docs`: per user whose index must change, entries to add and ids to remove.
    pub fn index_diff(&self, docs: &[DocId]) -> Vec<IndexChange> {
        let mut out = Vec::new();
        for u in &self.directory.users {
            let current = self.indexed.get(&u.id);
            let mut add = Vec::new();
            let mut remove = Vec::new();
            for d in docs {
                let has = current.is_some_and(|c| c.contains_key(d));
                let want = self.readable(&u.id, d) && self.index_entry(d).is_some();
                if want && !has {
                    if let Some(e) = self.index_entry(d) {
                        add.push((d.clone(), e));
                    }
                } else if has && !want {
                    remove.push(d.clone());
                }
            }
            if !add.is_empty() || !remove.is_empty() {
                out.push((u.id.clone(), add, remove));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
