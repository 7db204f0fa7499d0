//! Datablist's `leads-*.csv` → leads with their pii (phone, e-mail).
//!
//! - Name: "Company · First Last" (or the person alone); `First Name` + `Last Name` is the contact name.
//! - `Phone 1` and `Email 1` go to the pii group (phones normalized, see `cells::Row::phone`). A lead holds
//!   one phone and one e-mail, so `Phone 2` and `Email 2` are not imported (and never copied into the base
//!   group, where people without pii access would read them).
//! - `Source` maps to our sources (ads, exhibition, cold_call, referral, website, other); `Deal Stage` to a
//!   status (New Lead → new; Contacted, Re-engagement, On Hold → contacted; Qualified, Proposal Sent,
//!   Negotiation, Closed Won → qualified; Disqualified, Closed Lost → disqualified). A value outside these
//!   lists rejects the row. The original stage, `Website`, `Account Id` and `Notes` are kept in the notes.
//! - `Lead Owner` is the owner; empty = the unassigned pool.

use super::build::Builder;
use super::cells::Row;
use super::table::Table;
use super::{Format, ImportError, NewRecord};
use crate::domain::{Lead, LeadPii, LeadSource, LeadStatus, LongText, Record, RecordKind};

const REQUIRED: [&str; 8] =
    ["Lead Owner", "First Name", "Last Name", "Company", "Phone 1", "Email 1", "Source", "Deal Stage"];
const NOTED: [&str; 3] = ["Account Id", "Website", "Notes"];

const FIELDS: &[(&str, &str)] = &[("name", "Company"), ("company", "Company"), ("contact_name", "Last Name")];

fn source(s: &str) -> Option<LeadSource> {
    Some(match s.to_ascii_lowercase().as_str() {
        "retargeting ads" | "facebook ads" | "google ads" | "social media" | "ads" => LeadSource::Ads,
        "trade show" | "networking event" | "webinars" | "webinar" | "exhibition" => LeadSource::Exhibition,
        "cold call" | "cold email" | "linkedin outreach" => LeadSource::ColdCall,
        "referral" | "partner program" => LeadSource::Referral,
        "organic search (seo)" | "direct traffic" | "website form" | "chatbot" | "content marketing" | "website" => {
            LeadSource::Website
        }
        "podcast" | "purchased list" | "other" => LeadSource::Other,
        _ => return None,
    })
}

fn status(s: &str) -> Option<LeadStatus> {
    Some(match s.to_ascii_lowercase().as_str() {
        "new lead" | "new" => LeadStatus::New,
        "contacted" | "re-engagement" | "on hold" => LeadStatus::Contacted,
        "qualified" | "proposal sent" | "negotiation" | "closed won" => LeadStatus::Qualified,
        "disqualified" | "closed lost" => LeadStatus::Disqualified,
        _ => return None,
    })
}

pub(crate) fn import(t: &Table, b: &mut Builder<'_, '_>) -> Result<(), ImportError> {
    t.require(Format::Datablist, RecordKind::Lead, &REQUIRED)?;
    for h in &t.headers {
        let known = REQUIRED.iter().chain(&NOTED).any(|c| c.eq_ignore_ascii_case(h));
        let why = match h.to_ascii_lowercase().as_str() {
            "phone 2" | "email 2" => "a lead holds one phone and one e-mail",
            "index" => "a row number",
            _ if known => continue,
            _ => "not a column of the datablist leads format",
        };
        b.ignored_columns.push((h.clone(), why.into()));
    }
    let (importer, now) = (b.req.importer, b.req.now);
    for (line, rec) in &t.rows {
        let mut row = Row::new(t, *line, rec);
        let owner = b.owner(&mut row, RecordKind::Lead, "Lead Owner");
        let person: Vec<&str> =
            [row.text("First Name"), row.text("Last Name")].into_iter().filter(|s| !s.is_empty()).collect();
        let person = person.join(" ");
        let company = row.text("Company");
        if person.is_empty() && company.is_empty() {
            row.fail(Some("Company"), "no company and no name: nothing to call the lead");
        }
        let src = row.text("Source");
        let source = if src.is_empty() {
            Some(LeadSource::Other)
        } else {
            source(src).or_else(|| {
                row.fail(Some("Source"), format!("unknown source {src:?}"));
                None
            })
        };
        let stage = row.text("Deal Stage");
        let status = if stage.is_empty() {
            Some(LeadStatus::New)
        } else {
            status(stage).or_else(|| {
                row.fail(Some("Deal Stage"), format!("unknown stage {stage:?}"));
                None
            })
        };
        let pii = LeadPii { phone: row.phone("Phone 1"), email: row.email("Email 1") };
        let (Some(owner), Some(source), Some(status), true) = (owner, source, status, row.errors.is_empty()) else {
            b.finish_row(row, None);
            continue;
        };
        let name = match (company.is_empty(), person.is_empty()) {
            (false, false) => format!("{company} · {person}"),
            (false, true) => company.to_string(),
            _ => person.clone(),
        };
        let mut lead = match Lead::new(&name, owner.clone(), importer, now) {
            Ok(l) => l,
            Err(e) => {
                row.fail_domain(e, FIELDS);
                b.finish_row(row, None);
                continue;
            }
        };
        lead.team = b.owners.team(owner.as_ref());
        lead.company = company.to_string();
        lead.contact_name = person;
        lead.source = source;
        lead.status = status;
        let mut notes: Vec<String> = Vec::new();
        if !row.text("Notes").is_empty() {
            notes.push(row.text("Notes").to_string());
        }
        for (label, col) in
            [("Deal stage", "Deal Stage"), ("Source", "Source"), ("Website", "Website"), ("Account Id", "Account Id")]
        {
            if !row.text(col).is_empty() {
                notes.push(format!("{label}: {}", row.text(col)));
            }
        }
        lead.notes = LongText::new(notes.join("\n"));
        if let Err(e) = lead.validate(b.req.dir) {
            row.fail_domain(e, FIELDS);
        }
        let id = b.new_id();
        b.finish_row(row, Some((id, NewRecord::Lead(lead, pii))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{fixture, plan_with};
    use super::super::*;
    use crate::domain::{LeadSource, LeadStatus};

    #[test]
    fn leads_with_pii_and_varied_phones() {
        let f = fixture();
        let csv = "Index,Account Id,Lead Owner,First Name,Last Name,Company,Phone 1,Phone 2,Email 1,Email 2,Website,Source,Deal Stage,Notes\r\n\
            1,0970F99ED4a2CE4,Bethany Dixon,Victor,Cochran,\"Grimes, Madden and Huff\",+1-532-344-1362,2754733370,hatkinson@mclaughlin.com,ygibbs@guzman.com,http://www.rosales-molina.com/,Retargeting Ads,New Lead,Speak own such.\r\n\
            2,e9AABddbCA4AFee,,Maureen,Fuentes,Crosby Inc,001-672-799-2170x5610,,bshelton@wilkins.org,,,Google Ads,Closed Won,\r\n\
            3,99CF54fE56dDc5e,Angel Ortega,Ralph,Murillo,Velasquez-Hardin,985.939.5411x2641,,not-an-email,,,Telepathy,Contacted,\r\n";
        let owners: BTreeMap<String, UserId> =
            [("Bethany Dixon".to_string(), UserId::new("rep1"))].into_iter().collect();
        let plan =
            plan_with(&f, csv, RecordKind::Lead, Format::Datablist, "manager", &owners, UnknownOwner::Reject).unwrap();
        let msgs: Vec<String> = plan.rejected.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "row 4, column Lead Owner: \"Angel Ortega\" is not a user here (map the name to a user, or import unknown owners as the importer)",
                "row 4, column Source: unknown source \"Telepathy\"",
                "row 4, column Email 1: \"not-an-email\" is not an e-mail address",
            ]
        );
        assert_eq!(plan.count(RecordKind::Lead), 2);
        let NewRecord::Lead(l, pii) = &plan.records[0].record else { panic!() };
        assert_eq!(l.name, "Grimes, Madden and Huff · Victor Cochran");
        assert_eq!(
            (l.owner.clone(), l.source, l.status),
            (Some(UserId::new("rep1")), LeadSource::Ads, LeadStatus::New)
        );
        assert_eq!((pii.phone.as_str(), pii.email.as_str()), ("+1-532-344-1362", "hatkinson@mclaughlin.com"));
        assert!(l.notes.as_str().contains("Website: http://www.rosales-molina.com/"));
        assert!(!l.notes.as_str().contains("2754733370"), "the second phone never lands in the base group");
        let NewRecord::Lead(l, pii) = &plan.records[1].record else { panic!() };
        assert_eq!((l.owner.clone(), l.status), (None, LeadStatus::Qualified), "empty owner = the pool");
        assert_eq!(pii.phone, "001-672-799-2170");
        assert_eq!(
            plan.warnings[0].to_string(),
            "row 3, column Phone 1: extension x5610 dropped (the phone field holds the number only)"
        );
        let ignored: Vec<&str> = plan.ignored_columns.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(ignored, ["Index", "Phone 2", "Email 2"]);
    }
}
