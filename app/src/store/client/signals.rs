//! The reactive state the UI reads: session, views per kind, sync status, refusals, presence.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::domain::{Directory, DocId, RecordKind, RecordView};
use crate::session::Session;
use crate::store::apply_changes;
pub(crate) use crate::store::position;
use crate::sync::{Presence, Refusal, SyncStatus};

pub(super) fn kind_index(kind: RecordKind) -> usize {
    RecordKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

/// The views of one kind, sorted by record id (binary search; one copy of each view on the device).
type ViewList = RwSignal<Vec<RecordView>>;

/// The reactive state. All `Copy`.
#[derive(Clone, Copy)]
pub(crate) struct Signals {
    pub session: RwSignal<Option<Session>>,
    pub ready: RwSignal<bool>,
    pub directory: RwSignal<Option<Directory>>,
    pub views: [ViewList; 5],
    pub status: RwSignal<SyncStatus>,
    /// Local edits the relay has not acknowledged yet (the store's pending count).
    pub pending: RwSignal<usize>,
    pub refusals: RwSignal<Vec<Refusal>>,
    pub presence: RwSignal<HashMap<DocId, Vec<Presence>>>,
    pub versions: RwSignal<HashMap<DocId, u64>>,
    pub last_error: RwSignal<Option<String>>,
}

impl Signals {
    pub(super) fn new() -> Self {
        Signals {
            session: RwSignal::new(None),
            ready: RwSignal::new(false),
            directory: RwSignal::new(None),
            views: std::array::from_fn(|_| RwSignal::new(Vec::new())),
            status: RwSignal::new(SyncStatus::Offline),
            pending: RwSignal::new(0),
            refusals: RwSignal::new(Vec::new()),
            presence: RwSignal::new(HashMap::new()),
            versions: RwSignal::new(HashMap::new()),
            last_error: RwSignal::new(None),
        }
    }

    /// Replaces every view (start-up, sign-in).
    pub fn reset_views(&self, views: Vec<RecordView>) {
        let mut lists: [Vec<RecordView>; 5] = Default::default();
        for v in views {
            lists[kind_index(v.kind())].push(v);
        }
        for (sig, mut list) in self.views.iter().zip(lists) {
            list.sort_by(|a, b| a.id().cmp(b.id()));
            sig.set(list);
        }
    }

    /// Fills the lists of `kinds` with stored `views` (the second half of a start-up that read the current
    /// screen's kind first). A view already in a list was published since (an edit) and is newer: it stays.
    pub fn put_kinds(&self, views: Vec<RecordView>, kinds: &[RecordKind]) {
        let mut lists: [Vec<RecordView>; 5] = Default::default();
        for v in views {
            lists[kind_index(v.kind())].push(v);
        }
        for (kind, stored) in RecordKind::ALL.iter().zip(lists) {
            if !kinds.contains(kind) || stored.is_empty() {
                continue;
            }
            self.views[kind_index(*kind)].update(|l| {
                let newer = std::mem::take(l);
                let mut all: Vec<RecordView> =
                    stored.into_iter().filter(|v| position(&newer, v.id()).is_err()).collect();
                all.extend(newer);
                all.sort_by(|a, b| a.id().cmp(b.id()));
                *l = all;
            });
        }
    }

    /// Puts or removes many views with one notification per kind touched (a first sync delivers thousands).
    pub fn set_views(&self, views: Vec<(DocId, Option<RecordView>)>) {
        let mut per_kind: [Vec<(DocId, Option<RecordView>)>; 5] = Default::default();
        for (id, view) in views {
            match &view {
                Some(v) => {
                    let i = kind_index(v.kind());
                    let same = self.views[i].with_untracked(|l| position(l, &id).ok().map(|p| &l[p]) == Some(v));
                    if !same {
                        per_kind[i].push((id, view));
                    }
                }
                None => {
                    for (i, list) in self.views.iter().enumerate() {
                        if list.with_untracked(|l| position(l, &id).is_ok()) {
                            per_kind[i].push((id.clone(), None));
                        }
                    }
                }
            }
        }
        let mut bumped = Vec::new();
        for (list, changes) in self.views.iter().zip(per_kind) {
            if changes.is_empty() {
                continue;
            }
            bumped.extend(changes.iter().map(|(id, _)| id.clone()));
            list.update(|l| apply_changes(l, changes));
        }
        if !bumped.is_empty() {
            self.versions.update(|v| {
                for id in bumped {
                    *v.entry(id).or_default() += 1;
                }
            });
        }
    }

    pub fn error(&self, e: impl std::fmt::Display) {
        let msg = e.to_string();
        web_sys::console::warn_1(&msg.clone().into());
        self.last_error.set(Some(msg));
    }
}
