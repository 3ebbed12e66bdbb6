//! The protocol's official examples and one broken variant per schema rule, for tests of this
//! crate and of the intake service that serves it (the examples are synthetic people).

use serde_json::{Value, json};

/// The official public example (`spec/examples/offentligBekymringsmeldingV2.json`).
pub const PUBLIC_EXAMPLE: &str = include_str!("../spec/examples/offentligBekymringsmeldingV2.json");
/// The official private example (`spec/examples/privatBekymringsmeldingV2.json`).
pub const PRIVATE_EXAMPLE: &str = include_str!("../spec/examples/privatBekymringsmeldingV2.json");

/// One rule broken: the example, the change, and the JSON path the rejection must name.
#[derive(Clone, Debug)]
pub struct Broken {
    pub message_type: &'static str,
    /// JSON pointer into the example.
    pub pointer: &'static str,
    /// `None` removes the field; `Some` replaces it.
    pub value: Option<Value>,
    pub path: &'static str,
}

impl Broken {
    /// The example with the change made.
    pub fn document(&self) -> Vec<u8> {
        let example = if self.message_type == crate::PUBLIC_V2 {
            PUBLIC_EXAMPLE
        } else {
            PRIVATE_EXAMPLE
        };
        let mut document: Value = serde_json::from_str(example).expect("the example is JSON");
        let (parent, key) = self.pointer.rsplit_once('/').expect("pointer has a key");
        let parent = document
            .pointer_mut(parent)
            .expect("pointer's parent exists");
        match (&self.value, parent) {
            (None, Value::Object(map)) => {
                map.remove(key);
            }
            (Some(value), Value::Object(map)) => {
                map.insert(key.to_owned(), value.clone());
            }
            (None, Value::Array(items)) => {
                items.remove(key.parse::<usize>().expect("index"));
            }
            (Some(value), Value::Array(items)) => {
                items[key.parse::<usize>().expect("index")] = value.clone();
            }
            _ => panic!("pointer {} does not lead into a container", self.pointer),
        }
        serde_json::to_vec(&document).expect("serialises")
    }
}

fn public(pointer: &'static str, value: Option<Value>, path: &'static str) -> Broken {
    Broken {
        message_type: crate::PUBLIC_V2,
        pointer,
        value,
        path,
    }
}

fn private(pointer: &'static str, value: Option<Value>, path: &'static str) -> Broken {
    Broken {
        message_type: crate::PRIVATE_V2,
        pointer,
        value,
        path,
    }
}

/// Every rule of the two schemas, and the domain's own (identity numbers, municipality,
/// sending time), each broken once.
pub fn broken() -> Vec<Broken> {
    let third_guardian = json!([
        {"personnavn": "A", "orientert": true},
        {"personnavn": "B", "orientert": true},
        {"personnavn": "C", "orientert": true}
    ]);
    let private_example: Value =
        serde_json::from_str(PRIVATE_EXAMPLE).expect("the example is JSON");
    let too_many_children = Value::Array(vec![
        private_example["privatBarn"][0].clone();
        domain::report::MAX_CHILDREN + 1
    ]);
    vec![
        public("/kommunenummer", None, "kommunenummer"),
        public("/kommunenummer", Some(json!("12a1")), "kommunenummer"),
        // 1201 is retired, and no current municipality has this name.
        public("/kommunenavn", Some(json!("Atlantis")), "kommunenummer"),
        public("/kommunenavn", None, "kommunenavn"),
        public("/bydelsnummer", None, "bydelsnummer"),
        public("/bydelsnummer", Some(json!("2")), "bydelsnummer"),
        public("/bydelsnavn", None, "bydelsnavn"),
        public("/offentligMelder", None, "offentligMelder"),
        public("/offentligMelder", Some(json!("Lærer")), "offentligMelder"),
        public(
            "/offentligMelder/personnavn",
            None,
            "offentligMelder.personnavn",
        ),
        public(
            "/offentligMelder/personnavn",
            Some(json!("Navn\nNavnesen")),
            "offentligMelder.personnavn",
        ),
        public("/offentligMelder/rolle", None, "offentligMelder.rolle"),
        public(
            "/offentligMelder/telefonnummer",
            None,
            "offentligMelder.telefonnummer",
        ),
        public(
            "/offentligMelder/telefonnummer",
            Some(json!("99 x9")),
            "offentligMelder.telefonnummer",
        ),
        public("/offentligMelder/epost", None, "offentligMelder.epost"),
        public(
            "/offentligMelder/epost",
            Some(json!("lærer(at)skole.no")),
            "offentligMelder.epost",
        ),
        public(
            "/offentligMelder/virksomhet",
            None,
            "offentligMelder.virksomhet",
        ),
        public(
            "/offentligMelder/virksomhet/navn",
            None,
            "offentligMelder.virksomhet.navn",
        ),
        public(
            "/offentligMelder/virksomhet/adresse",
            None,
            "offentligMelder.virksomhet.adresse",
        ),
        public(
            "/offentligMelder/virksomhet/adresse/adresselinje1",
            None,
            "offentligMelder.virksomhet.adresse.adresselinje1",
        ),
        public("/offentligBarn", None, "offentligBarn"),
        public("/offentligBarn", Some(json!([])), "offentligBarn"),
        public("/offentligBarn/1", Some(json!(7)), "offentligBarn[1]"),
        public("/offentligBarn/1/fnr", None, "offentligBarn[1].fnr"),
        public(
            "/offentligBarn/1/fnr",
            Some(json!("16081688782")),
            "offentligBarn[1].fnr",
        ),
        public("/offentligBarn/0/ufoedt", None, "offentligBarn[0].ufoedt"),
        public(
            "/offentligBarn/0/ufoedt",
            Some(json!("nei")),
            "offentligBarn[0].ufoedt",
        ),
        public(
            "/offentligBarn/0/personnavn",
            None,
            "offentligBarn[0].personnavn",
        ),
        public("/offentligBarn/0/adresse", None, "offentligBarn[0].adresse"),
        // A name that reads backwards from here on (U+202E, right-to-left override).
        public(
            "/offentligBarn/0/personnavn",
            Some(json!("Ola \u{202E}nesnamroN")),
            "offentligBarn[0].personnavn",
        ),
        public(
            "/offentligMelder/virksomhet/navn",
            Some(json!("Skole\u{200B}n")),
            "offentligMelder.virksomhet.navn",
        ),
        public(
            "/offentligBarn/0/orientert",
            None,
            "offentligBarn[0].orientert",
        ),
        public("/foresatte", None, "foresatte"),
        public("/foresatte", Some(json!([])), "foresatte"),
        public("/foresatte", Some(third_guardian), "foresatte"),
        public("/foresatte/0/personnavn", None, "foresatte[0].personnavn"),
        public("/foresatte/0/orientert", None, "foresatte[0].orientert"),
        public("/melding", None, "melding"),
        public("/melding/melding", None, "melding.melding"),
        public("/melding/melding", Some(json!("   ")), "melding.melding"),
        public("/melding/historie", None, "melding.historie"),
        public("/sendingstidspunkt", None, "sendingstidspunkt"),
        public(
            "/sendingstidspunkt",
            Some(json!("i går")),
            "sendingstidspunkt",
        ),
        public(
            "/sendingstidspunkt",
            Some(json!("2999-01-01T00:00:00Z")),
            "sendingstidspunkt",
        ),
        public("/leveringskanal", None, "leveringskanal"),
        private("/privatMelder", None, "privatMelder"),
        private("/privatMelder/personnavn", None, "privatMelder.personnavn"),
        private(
            "/privatMelder/telefonnummer",
            Some(json!("ring meg")),
            "privatMelder.telefonnummer",
        ),
        private("/privatBarn", None, "privatBarn"),
        private("/privatBarn", Some(json!([])), "privatBarn"),
        private("/privatBarn/1/personnavn", None, "privatBarn[1].personnavn"),
        private("/privatBarn/0/adresse", None, "privatBarn[0].adresse"),
        private("/privatBarn", Some(too_many_children), "privatBarn"),
        private("/melding", None, "melding"),
        private("/melding", Some(json!(5)), "melding"),
        private("/kommunenummer", None, "kommunenummer"),
        private("/sendingstidspunkt", None, "sendingstidspunkt"),
    ]
}
