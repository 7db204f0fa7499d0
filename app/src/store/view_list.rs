//! The UI's view lists: per record kind, the views sorted by record id (binary search, one copy each).
//!
//! A first sync puts thousands of views per second into lists of tens of thousands; inserting them one at
//! a time moves the whole tail of the list each time (quadratic), so a burst is merged in one pass.

use crate::domain::{DocId, RecordView};

/// Bursts up to this size are applied one by one (binary search and insert); larger ones are merged.
const MERGE_ABOVE: usize = 8;

/// Where `id` is in `list` (sorted by id), or where it would go.
pub fn position(list: &[RecordView], id: &DocId) -> Result<usize, usize> {
    list.binary_search_by(|v| v.id().cmp(id))
}

/// Applies puts (`Some`) and removals (`None`) to `list`, kept sorted by record id. A later change of the
/// same record wins.
pub fn apply_changes(list: &mut Vec<RecordView>, mut changes: Vec<(DocId, Option<RecordView>)>) {
    if changes.len() <= MERGE_ABOVE {
        for (id, v) in changes {
            match (position(list, &id), v) {
                (Ok(p), Some(v)) => list[p] = v,
                (Err(p), Some(v)) => list.insert(p, v),
                (Ok(p), None) => {
                    list.remove(p);
                }
                (Err(_), None) => {}
            }
        }
        return;
    }
    // Stable: of several changes of one record, the last stays last.
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    let mut last: Vec<(DocId, Option<RecordView>)> = Vec::with_capacity(changes.len());
    for c in changes {
        match last.last_mut() {
            Some(prev) if prev.0 == c.0 => *prev = c,
            _ => last.push(c),
        }
    }
    let mut old = std::mem::take(list).into_iter().peekable();
    let mut out = Vec::with_capacity(old.len() + last.len());
    for (id, v) in last {
        while let Some(o) = old.next_if(|o| o.id() < &id) {
            out.push(o);
        }
        old.next_if(|o| o.id() == &id);
        out.extend(v);
    }
    out.extend(old);
    *list = out;
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::domain::{Lead, Timestamp, UserId};

    fn view(n: u8, name: &str) -> RecordView {
        let id = DocId::from_bytes([n; 16]);
        let lead = Lead::new(name, None, &UserId::new("u"), Timestamp::from_millis(0)).unwrap();
        let doc = {
            let mut d = automerge::AutoCommit::new();
            crate::domain::docs::init_record(&mut d, &lead).unwrap();
            d
        };
        RecordView::from_docs(&id, &doc, &[]).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn bursts_keep_the_list_sorted_and_equal_to_applying_them_in_order(
            start in proptest::collection::btree_set(0u8..40, 0..30),
            burst in proptest::collection::vec((0u8..40, proptest::option::of(0u8..3)), 0..40),
        ) {
            let mut model: BTreeMap<DocId, RecordView> =
                start.iter().map(|n| (DocId::from_bytes([*n; 16]), view(*n, "a"))).collect();
            let mut list: Vec<RecordView> = model.values().cloned().collect();
            let changes: Vec<(DocId, Option<RecordView>)> = burst
                .iter()
                .map(|(n, v)| (DocId::from_bytes([*n; 16]), v.map(|k| view(*n, &format!("v{k}")))))
                .collect();
            for (id, v) in &changes {
                match v {
                    Some(v) => model.insert(id.clone(), v.clone()),
                    None => model.remove(id),
                };
            }
            apply_changes(&mut list, changes);
            prop_assert_eq!(list, model.into_values().collect::<Vec<_>>());
        }
    }
}
