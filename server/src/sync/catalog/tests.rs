use super::*;
use app::domain::{Team, TeamId, User};
use proptest::prelude::*;

fn directory() -> Directory {
    let user = |id: &str, role: Role, team: Option<&str>| User {
        id: UserId::new(id),
        name: id.into(),
        role,
        team: team.map(TeamId::new),
        disabled: false,
    };
    let mut d = Directory::new();
    d.users = vec![
        user("admin", Role::Admin, None),
        user("manager", Role::SalesManager, Some("east")),
        user("rep1", Role::SalesRep, Some("east")),
        user("rep2", Role::SalesRep, Some("west")),
        user("am", Role::AccountManager, None),
        user("marketing", Role::Marketing, None),
        user("aftersales", Role::AfterSales, None),
        user("analyst", Role::Analyst, None),
    ];
    d.teams = vec![
        Team { id: TeamId::new("east"), name: "East".into(), manager: Some(UserId::new("manager")), parent: None },
        Team { id: TeamId::new("west"), name: "West".into(), manager: None, parent: None },
    ];
    d
}

const OWNERS: [Option<&str>; 5] = [Some("rep1"), Some("rep2"), Some("am"), Some("manager"), None];
const KINDS: [RecordKind; 5] =
    [RecordKind::Lead, RecordKind::Opportunity, RecordKind::Customer, RecordKind::Contact, RecordKind::Activity];

/// A catalog of records (kind, owner, linked customer) with all their companions; `indexed` as
/// `index_diff` would leave it for the first `settled` records.
fn catalog(records: &[(usize, usize, Option<usize>)], settled: usize) -> (Catalog, Vec<DocId>) {
    let mut cat = Catalog { directory: Arc::new(directory()), ..Catalog::default() };
    let ids: Vec<DocId> = (0..records.len()).map(|i| DocId::from_bytes([i as u8 + 1; 16])).collect();
    let mut all = Vec::new();
    for (i, (kind, owner, customer)) in records.iter().enumerate() {
        let kind = KINDS[*kind % KINDS.len()];
        // Deals, contacts and activities link to customers (leads do not: `DocMeta::customer`).
        let links = matches!(kind, RecordKind::Opportunity | RecordKind::Contact | RecordKind::Activity);
        let customer = customer
            .filter(|_| links)
            .map(|c| c % records.len())
            .filter(|c| KINDS[records[*c].0 % KINDS.len()] == RecordKind::Customer && *c != i);
        let meta = DocMeta {
            kind: Some(DocKind::Record(kind)),
            owner: OWNERS[*owner % OWNERS.len()].map(UserId::new),
            customer: customer.map(|c| ids[c].clone()),
            ..DocMeta::unknown()
        };
        cat.set_meta(&ids[i], meta);
        all.push(ids[i].clone());
        for g in companion_groups(kind) {
            let c = ids[i].companion(*g);
            let meta = DocMeta {
                kind: Some(DocKind::Companion(*g)),
                record: Some(ids[i].clone()),
                record_kind: Some(kind),
                ..DocMeta::unknown()
            };
            cat.set_meta(&c, meta);
            all.push(c);
        }
    }
    let settled: Vec<DocId> = all
        .iter()
        .filter(|d| ids[..settled.min(ids.len())].iter().any(|r| r == *d || cat.metas[*d].record.as_ref() == Some(r)))
        .cloned()
        .collect();
    for (user, add, remove) in cat.index_diff(&settled) {
        let entry = cat.indexed.entry(user).or_default();
        entry.extend(add);
        for d in remove {
            entry.remove(&d);
        }
    }
    // Then some records change hands, so some users' indexes must lose documents.
    for (i, (_, owner, _)) in records.iter().enumerate() {
        if owner % 2 == 1 {
            let mut meta = cat.metas[&ids[i]].clone();
            meta.owner = OWNERS[(owner + 1) % OWNERS.len()].map(UserId::new);
            cat.set_meta(&ids[i], meta);
        }
    }
    (cat, all)
}

fn sorted(mut v: Vec<IndexChange>) -> Vec<IndexChange> {
    for (_, add, remove) in &mut v {
        add.sort_by(|a, b| a.0.cmp(&b.0));
        remove.sort();
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

proptest! {
    /// The bulk diff (an import's) is the per-document diff, whatever the records, owners and links.
    #[test]
    fn bulk_diff_equals_per_document_diff(
        records in prop::collection::vec((0usize..5, 0usize..5, prop::option::of(0usize..12)), 1..12),
        settled in 0usize..12,
    ) {
        let (cat, all) = catalog(&records, settled);
        prop_assert_eq!(sorted(cat.index_diff_bulk(&all)), sorted(cat.index_diff(&all)));
    }
}
