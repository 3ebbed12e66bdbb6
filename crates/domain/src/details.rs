//! What a report tells beyond the facts the lifecycle runs on: where the reporter can be
//! reached, who the guardians are, whether the child and guardians know, the reporter's own
//! account, and where a digital report came from.
//!
//! Why kept as data on the report rather than dropped: caseworkers screen from all of it, the
//! registry and letters need parts of it, and a report must reach the service whole (the
//! national portal's documents carry more than any form Vern has). Fields of an incoming
//! document with no home here stay in `unmapped`, as they came. All of it is case content:
//! never logged.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::BoundedText;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDetails {
    /// The district (bydel) of a municipality with districts (Oslo, Bergen, Trondheim, Stavanger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<District>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_contact: Option<Contact>,
    /// The public reporter's organisation number and address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_address: Option<Address>,
    /// One entry per child of the report, in the same order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ChildDetails>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guardians: Vec<Guardian>,
    /// Whether an interpreter is needed, in the reporter's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<BoundedText>,
    /// Other agencies the family is in contact with, in the reporter's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_agencies: Option<BoundedText>,
    /// The reporter's account of the history behind the concern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<BoundedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_views: Option<BoundedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<DigitalSource>,
    /// Fields of the incoming document that have no home above, keyed by their JSON path.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub unmapped: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct District {
    /// Two digits.
    pub number: String,
    pub name: BoundedText,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Non-empty lines only.
    pub lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// What the report says of one child besides who the child is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildDetails {
    /// The name the reporter gave (also for a child identified by number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<BoundedText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Whether the child was told of the report; unknown for private reporters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_informed_because: Option<BoundedText>,
    /// A private reporter's guess at the child's age, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assumed_age: Option<String>,
    /// A private reporter's relation to the child, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter_relation: Option<BoundedText>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guardian {
    pub name: BoundedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Whether the guardian was told of the report.
    pub informed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_informed_because: Option<BoundedText>,
}

/// The national portal's message a report came in (KS Fiks IO).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalSource {
    /// `no.ks.fiks.bekymringsmelding.offentlig.v2` or `...privat.v2`.
    pub message_type: String,
    /// The transport's message id; a second delivery of it is the same report.
    pub message_id: Uuid,
    /// `sendingstidspunkt` as the portal wrote it.
    pub sent_at: String,
    /// `leveringskanal`.
    pub channel: String,
    /// The municipality number and name as the portal wrote them (a number retired in a
    /// merger is kept here; the report carries the current one).
    pub municipality_number: String,
    pub municipality_name: String,
}
