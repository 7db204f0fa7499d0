//! Maven Analytics' `sales_pipeline.csv` → opportunities, plus one customer per distinct `account`.
//!
//! - `deal_stage`: Prospecting → the first open stage, Engaging → the second open stage (the first, if the
//!   pipeline has only one), Won → the won stage (status won), Lost → the Engaging stage with status lost
//!   (the file does not say where a deal was lost). Anything else rejects the row.
//! - `engage_date` is when the deal was created (empty for Prospecting: then the import time). Won and
//!   lost deals need it, and `close_date`, which becomes the closing time (and a won deal's expected close);
//!   an open deal's `close_date`, if any, is its expected close.
//! - `close_value` (whole currency units, USD unless the request says otherwise) is the expected amount; a
//!   won deal needs one above 0; a lost deal's 0 means "unknown", so no amount is kept.
//! - `opportunity_id` becomes the deal's number (so the same file cannot be imported twice); `product` and
//!   `account` make its name; `sales_agent` is the owner (see the module doc of `import`).
//! - A customer made from `account` is maintained by the owner of its first deal in the file, dates from
//!   its earliest deal, and lists its won deals in its cooperation history.

use super::build::Builder;
use super::cells::Row;
use super::table::Table;
use super::{Format, ImportError, NewRecord};
use crate::domain::{
    LongText, Opportunity, OpportunityMoney, OpportunityStatus, Record, RecordKind, StageDef, StageEntry,
};

const COLUMNS: [&str; 8] =
    ["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date", "close_value"];

/// Domain fields → the column that holds them (for validation errors).
const FIELDS: &[(&str, &str)] = &[
    ("name", "product"),
    ("number", "opportunity_id"),
    ("expected_close", "close_date"),
    ("closed_at", "close_date"),
    ("stage", "deal_stage"),
    ("status", "deal_stage"),
    ("expected_amount", "close_value"),
    ("owner", "sales_agent"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Deal {
    Prospecting,
    Engaging,
    Won,
    Lost,
}

pub(crate) fn import(t: &Table, b: &mut Builder<'_, '_>) -> Result<(), ImportError> {
    t.require(Format::Maven, RecordKind::Opportunity, &COLUMNS)?;
    for h in &t.headers {
        if !COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(h)) {
            b.ignored_columns.push((h.clone(), "not a column of the maven sales pipeline".into()));
        }
    }
    let dir = b.req.dir;
    let open: Vec<&StageDef> = dir.stages.iter().filter(|s| !s.won).collect();
    let prospecting = open.first().copied();
    let engaging = open.get(1).or(open.first()).copied();
    let won = dir.stages.iter().find(|s| s.won);
    let currency = b.currency("USD");
    for (line, rec) in &t.rows {
        let mut row = Row::new(t, *line, rec);
        let number = row.required("opportunity_id");
        if !number.is_empty() {
            b.take_number(&mut row, "opportunity_id", number);
        }
        let owner = b.owner(&mut row, RecordKind::Opportunity, "sales_agent").flatten();
        let stage_text = row.text("deal_stage");
        let deal = match stage_text.to_ascii_lowercase().as_str() {
            "prospecting" => Some(Deal::Prospecting),
            "engaging" => Some(Deal::Engaging),
            "won" => Some(Deal::Won),
            "lost" => Some(Deal::Lost),
            "" => {
                row.fail(Some("deal_stage"), "missing");
                None
            }
            _ => {
                row.fail(
                    Some("deal_stage"),
                    format!("unknown stage {stage_text:?} (Prospecting, Engaging, Won or Lost)"),
                );
                None
            }
        };
        let engaged = row.date("engage_date");
        let closed = row.date("close_date");
        let value = row.amount("close_value", &currency);
        let closed_deal = matches!(deal, Some(Deal::Won | Deal::Lost));
        if closed_deal && row.text("engage_date").is_empty() {
            row.fail(Some("engage_date"), "missing (a won or lost deal needs the date it was engaged)");
        }
        if closed_deal && row.text("close_date").is_empty() {
            row.fail(Some("close_date"), "missing (a won or lost deal needs its close date)");
        }
        if deal == Some(Deal::Won) {
            if row.text("close_value").is_empty() {
                row.fail(Some("close_value"), "missing (a won deal needs its value)");
            } else if value.as_ref().is_some_and(|v| v.amount_minor == 0) {
                row.fail(Some("close_value"), "a won deal's value must be above 0");
            }
        }
        if let (Some(e), Some(c)) = (engaged, closed) {
            if c < e {
                row.fail(Some("close_date"), "before engage_date");
            }
        }
        let stage = match deal {
            Some(Deal::Prospecting) => prospecting,
            Some(Deal::Engaging | Deal::Lost) => engaging,
            Some(Deal::Won) => won,
            None => None,
        };
        if deal.is_some() && stage.is_none() {
            row.fail(Some("deal_stage"), "the pipeline has no stage for it (ask an admin to add stages)");
        }
        let (Some(deal), Some(stage), Some(owner), true) = (deal, stage, owner, row.errors.is_empty()) else {
            b.finish_row(row, None);
            continue;
        };

        let now = b.req.now;
        let created = engaged.unwrap_or(now);
        let product = row.text("product");
        let account = row.text("account");
        let agent = row.text("sales_agent");
        let parts: Vec<&str> = [account, product].into_iter().filter(|s| !s.is_empty()).collect();
        let name = if parts.is_empty() { number.to_string() } else { parts.join(" · ") };
        let mut o = match Opportunity::new(&name, number, &stage.id, Some(owner.clone()), b.req.importer, created, dir)
        {
            Ok(o) => o,
            Err(e) => {
                row.fail_domain(e, FIELDS);
                b.finish_row(row, None);
                continue;
            }
        };
        o.team = b.owners.team(Some(&owner));
        o.stage_history[0].by = owner.clone();
        o.notes = LongText::new(format!(
            "Imported from a Maven sales pipeline: opportunity {number}, sales agent {agent}, product {product}."
        ));
        let mut money =
            OpportunityMoney { expected_amount: value.clone(), win_probability: stage.probability, quotes: Vec::new() };
        match deal {
            Deal::Prospecting | Deal::Engaging => o.expected_close = closed,
            Deal::Won => {
                if let (Some(w), Some(c)) = (won, closed) {
                    o.stage_history.push(StageEntry { stage: w.id.clone(), entered_at: c, by: owner.clone() });
                }
                o.status = OpportunityStatus::Won;
                o.expected_close = closed;
                o.closed_at = closed;
                money.win_probability = 100;
            }
            Deal::Lost => {
                o.status = OpportunityStatus::Lost;
                o.lost_reason = Some("Lost (imported; no reason recorded)".into());
                o.closed_at = closed;
                money.win_probability = 0;
                money.expected_amount = value.filter(|v| v.amount_minor > 0);
            }
        }
        o.updated_at = now.max(created).max(o.closed_at.unwrap_or(created));
        if let Err(e) = o.validate(dir) {
            row.fail_domain(e, FIELDS);
        }
        if let Err(e) = super::Companion::validate(&money) {
            row.fail_domain(e, FIELDS);
        }
        let id = b.new_id();
        if !account.is_empty() && row.errors.is_empty() {
            o.customer = b.link_customer(&mut row, "account", account, &owner, created);
            if let (Some(c), Deal::Won) = (o.customer.clone(), deal) {
                b.record_win(&c, &id, &o, &money);
            }
        }
        b.finish_row(row, Some((id, NewRecord::Opportunity(o, money))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{fixture, plan_with};
    use super::super::*;
    use crate::domain::{CustomerMoney, DocKind, OpportunityStatus, StageId};

    const CSV: &str = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\r\n\
        1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054\r\n\
        Z063OYW0,Darcel Schlecht,GTXPro,Isdom,Lost,2016-10-25,2017-03-11,0\r\n\
        EC4QE1BX,Moses Frase,MG Special,Cancity,Won,2016-10-25,2017-03-07,50\r\n\
        MV1LWRNH,Moses Frase,GTX Basic,,Prospecting,,,\r\n\
        PE84CX4O,Darcel Schlecht,GTX Pro,Hottechi,Engaging,2017-01-10,,\r\n";

    fn owners() -> BTreeMap<String, UserId> {
        [("Moses Frase", "rep1"), ("darcel schlecht", "rep2")]
            .into_iter()
            .map(|(n, u)| (n.to_string(), UserId::new(u)))
            .collect()
    }

    #[test]
    fn maps_every_stage_and_creates_each_account_once() {
        let f = fixture();
        let plan =
            plan_with(&f, CSV, RecordKind::Opportunity, Format::Maven, "manager", &owners(), UnknownOwner::Reject)
                .unwrap();
        assert!(plan.is_clean(), "{:?}", plan.rejected);
        assert_eq!(plan.rows, 5);
        assert_eq!(plan.count(RecordKind::Opportunity), 5);
        // Cancity (twice), Isdom, Hottechi; the Prospecting row has no account.
        assert_eq!(plan.count(RecordKind::Customer), 3);
        let opp = |n: &str| {
            plan.records
                .iter()
                .find_map(|r| match &r.record {
                    NewRecord::Opportunity(o, m) if o.number == n => Some((o.clone(), m.clone())),
                    _ => None,
                })
                .unwrap()
        };
        let (won, money) = opp("1C1I7A6R");
        assert_eq!(won.status, OpportunityStatus::Won);
        assert_eq!(won.stage, StageId::new("won"));
        assert_eq!(won.owner, Some(UserId::new("rep1")));
        assert_eq!(won.team, Some(crate::domain::TeamId::new("east")));
        assert_eq!(won.created_at, Timestamp::parse("t", "2016-10-20").unwrap());
        assert_eq!(won.closed_at, Some(Timestamp::parse("t", "2017-03-01").unwrap()));
        assert_eq!(won.name, "Cancity · GTX Plus Basic");
        assert_eq!(money.expected_amount, Some(crate::domain::Money::new(105_400, "USD").unwrap()));
        assert_eq!(money.win_probability, 100);
        let (lost, money) = opp("Z063OYW0");
        assert_eq!((lost.status, lost.stage.as_str()), (OpportunityStatus::Lost, "needs"));
        assert_eq!(money.expected_amount, None);
        let (prospect, money) = opp("MV1LWRNH");
        assert_eq!(
            (prospect.status, prospect.stage.as_str(), prospect.customer.clone()),
            (OpportunityStatus::Active, "initial", None)
        );
        assert_eq!(prospect.created_at, f.now);
        assert_eq!((money.expected_amount, money.win_probability), (None, 10));
        // Both Cancity deals link to one customer, maintained by the first deal's owner, with both wins.
        let (a, b) = (opp("1C1I7A6R").0.customer.unwrap(), opp("EC4QE1BX").0.customer.unwrap());
        assert_eq!(a, b);
        let cancity = plan.records.iter().find(|r| r.id == a).unwrap();
        let NewRecord::Customer(c, Some(CustomerMoney { orders })) = &cancity.record else { panic!("{cancity:?}") };
        assert_eq!((c.name.as_str(), c.owner.clone()), ("Cancity", Some(UserId::new("rep1"))));
        assert_eq!(c.created_at, Timestamp::parse("t", "2016-10-20").unwrap());
        assert_eq!(orders.len(), 2);
        // The documents build and pass the relay's schema check.
        let docs = plan.documents().unwrap();
        assert_eq!(docs.len(), 5 * 2 + 3 + 1);
        for (_, d) in &docs {
            match crate::domain::docs::read_kind(d).unwrap() {
                Some(DocKind::Record(_)) => crate::domain::docs::validate_record_doc(d, &f.dir).map(|_| ()).unwrap(),
                _ => crate::domain::docs::validate_companion_doc(d).map(|_| ()).unwrap(),
            }
        }
    }

    #[test]
    fn rejects_rows_naming_row_column_and_reason() {
        let f = fixture();
        let csv = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n\
            A1,Moses Frase,GTX,Acme,Won,2017-01-01,soon,100\n\
            A2,Nobody Here,GTX,Acme,Engaging,2017-01-01,,\n\
            A3,Moses Frase,GTX,Acme,Closing,2017-01-01,,\n\
            A4,Moses Frase,GTX,Acme,Won,2017-01-05,2017-01-01,10\n\
            A1,Moses Frase,GTX,Acme,Lost,2017-01-01,2017-02-01,0\n\
            A6,Moses Frase,GTX,Acme,Won,2017-01-01,2017-02-01,\n\
            A7,rep3,GTX,Acme,Engaging,2017-01-01,,\n";
        let plan =
            plan_with(&f, csv, RecordKind::Opportunity, Format::Maven, "manager", &owners(), UnknownOwner::Reject)
                .unwrap();
        let msgs: Vec<String> = plan.rejected.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "row 2, column close_date: \"soon\" is not a date (YYYY-MM-DD)",
                "row 3, column sales_agent: \"Nobody Here\" is not a user here (map the name to a user, or import unknown owners as the importer)",
                "row 4, column deal_stage: unknown stage \"Closing\" (Prospecting, Engaging, Won or Lost)",
                "row 5, column close_date: before engage_date",
                "row 6, column opportunity_id: A1 appears twice (first in row 2)",
                "row 7, column close_value: missing (a won deal needs its value)",
                "row 8, column sales_agent: you may not create opportunities owned by rep3",
            ]
        );
        assert!(plan.records.is_empty());
        // Unknown agents may go to the importer instead, when asked.
        let plan =
            plan_with(&f, csv, RecordKind::Opportunity, Format::Maven, "admin", &owners(), UnknownOwner::Importer)
                .unwrap();
        assert!(!plan.rejected.iter().any(|e| e.row == 3), "{:?}", plan.rejected);
        assert!(!plan.rejected.iter().any(|e| e.row == 8), "admins assign to anyone");
    }
}
