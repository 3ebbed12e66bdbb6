//! Days of a service, simulated: each day new reports arrive, and every case history takes
//! its next step on the day its plan says, sent while the server's clock reads that day.
//! Steps planned past the last day are never sent, so the end looks like a working service:
//! reports waiting for screening, investigations under way, some past their deadline, letters
//! still owed.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use domain::values::NationalIdentityNumber;
use eventstore::EventStore;
use platform::auth::{Claims, SigningKey, Verifier};
use sqlx::PgPool;
use tokio::task::JoinSet;

use super::{Clients, Lifecycle, Rng, Step};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// Municipality numbers with their share of the reports.
    pub municipalities: Vec<(String, u32)>,
    pub first_day: NaiveDate,
    pub until: Until,
    /// On average; a fraction is a chance of one more.
    pub reports_per_day: f64,
    pub seed: u64,
    /// Names, synthetic identity numbers and assignment to teams and caseworkers, as the demo
    /// shows them. The benchmarks leave them out so their figures stay comparable.
    pub demo_people: bool,
}

/// When the simulation stops.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// Before this day.
    Day(NaiveDate),
    /// Once the store holds this many events.
    Events(u64),
}

/// What a simulation did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub days: i64,
    pub reports: u64,
    pub commands: u64,
    /// Commands refused or failed; their histories stop there.
    pub failed: u64,
}

/// A history waiting for its next step: the history, its steps with their day indices, and
/// the index of the next.
type Pending = (Lifecycle, Vec<(i64, Step)>, usize);

/// Histories by the day index their next step is due.
type Due = BTreeMap<i64, Vec<Pending>>;

/// How many steps are in flight at once.
const CONCURRENT_STEPS: usize = 32;

/// Where a simulation is, told to its caller once a simulated day.
#[derive(Clone, Copy, Debug)]
pub struct Tick {
    /// The day index, from 0.
    pub day: i64,
    /// The number of days, when the simulation runs to a day.
    pub days: Option<i64>,
    /// The events in the store.
    pub events: u64,
    /// The reports sent so far.
    pub reports: u64,
}

/// Runs `simulation` against the store in `pool`; `progress` hears where it is once a day.
pub async fn simulate(
    pool: &PgPool,
    simulation: &Simulation,
    mut progress: impl FnMut(Tick),
) -> anyhow::Result<Outcome> {
    let store = EventStore::new(pool.clone());
    // The store the simulation counts its progress in; the other goes to the server.
    let counting = store.clone();
    let at_nine = |date: NaiveDate| -> DateTime<Utc> {
        Utc.from_utc_datetime(&date.and_hms_opt(9, 0, 0).unwrap_or_default())
    };
    let clock = Arc::new(AtomicI64::new(at_nine(simulation.first_day).timestamp()));
    let key = SigningKey::generate();
    let token = key.issue(&Claims::new(
        "demo",
        "caseworker",
        simulation
            .municipalities
            .iter()
            .map(|(number, _)| number.clone())
            .collect(),
        Utc::now().timestamp(),
        // As long as a caseworker's token may live: longer than any simulation runs.
        platform::auth::Lifetimes::default().max_hours(platform::auth::Role::Caseworker) * 3600,
    ));
    // The same serving process as `vern up`'s, in-process, with the simulated clock; the
    // views are left to the process that runs them.
    let app = crate::app::App::build(
        store,
        crate::app::Config {
            listen: "127.0.0.1:0".parse()?,
            services: crate::server::ServiceName::ALL.to_vec(),
            tls: None,
            verifier: Verifier::new(key),
            dashboard: None,
            run_views: false,
            sample_gauges: false,
            practice: Default::default(),
            clock: Some({
                let clock = clock.clone();
                Arc::new(move || {
                    Utc.timestamp_opt(clock.load(Ordering::Relaxed), 0)
                        .single()
                        .unwrap_or_default()
                })
            }),
        },
    )
    .await?;
    let address = app.address()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let connections: Vec<Clients> = (0..8)
        .map(|_| Clients::new(address, &token))
        .collect::<anyhow::Result<_>>()?;

    let days = match simulation.until {
        Until::Day(last) => Some((last - simulation.first_day).num_days()),
        Until::Events(_) => None,
    };
    let total_weight: u64 = simulation
        .municipalities
        .iter()
        .map(|(_, weight)| u64::from(*weight))
        .sum();
    let mut rng = Rng::new(simulation.seed);
    let mut people = People::default();
    let mut due = Due::new();
    let mut outcome = Outcome::default();
    let mut today = 0i64;
    loop {
        let events = events_in(&counting).await?;
        progress(Tick {
            day: today,
            days,
            events,
            reports: outcome.reports,
        });
        let done = match simulation.until {
            Until::Day(_) => Some(today) >= days,
            Until::Events(target) => events >= target,
        };
        if done {
            break;
        }
        let date = simulation.first_day + chrono::Duration::days(today);
        let whole = simulation.reports_per_day.trunc();
        let extra = simulation.reports_per_day - whole;
        let arriving = whole as u64 + u64::from(extra > 0.0 && rng.chance(extra));
        for _ in 0..arriving {
            outcome.reports += 1;
            let public = rng.chance(0.7);
            let municipality = pick(&simulation.municipalities, total_weight, &mut rng);
            let mut lifecycle = Lifecycle::new(municipality, outcome.reports, public);
            let mut steps = plan(&mut rng, public);
            if simulation.demo_people {
                people.dress(&mut lifecycle, date, &mut rng);
                steps.insert(1, (0, Step::Assign));
            }
            let steps = steps
                .into_iter()
                .map(|(offset, step)| (today + offset, step))
                .collect();
            due.entry(today).or_default().push((lifecycle, steps, 0));
        }
        clock.store(at_nine(date).timestamp(), Ordering::Relaxed);
        // A step can plan the next for the same day (a report is assigned when it arrives).
        while let Some(work) = due.remove(&today) {
            run_day(&connections, work, date, &mut due, &mut outcome).await?;
        }
        today += 1;
    }
    let _ = stop.send(());
    server.await??;
    outcome.days = today;
    Ok(outcome)
}

/// Sends one step of each history in `work`, `CONCURRENT_STEPS` at a time, and schedules
/// each history's next step.
async fn run_day(
    connections: &[Clients],
    work: Vec<Pending>,
    date: NaiveDate,
    due: &mut Due,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let mut running = JoinSet::new();
    for (index, (mut lifecycle, steps, next)) in work.into_iter().enumerate() {
        let mut clients = connections[index % connections.len()].clone();
        let mut rng = Rng::new(outcome.reports << 20 | index as u64);
        running.spawn(async move {
            let sent =
                super::send(&mut clients, steps[next].1, &mut lifecycle, date, &mut rng).await;
            (lifecycle, steps, next, sent.is_ok())
        });
        while running.len() >= CONCURRENT_STEPS {
            if let Some(done) = running.join_next().await {
                schedule(done?, due, outcome);
            }
        }
    }
    while let Some(done) = running.join_next().await {
        schedule(done?, due, outcome);
    }
    Ok(())
}

/// A history's steps with their day offsets from the report: screened within the week, some
/// dismissed there; investigations of 20–100 days (some past the 90-day deadline), concluded
/// with measures or dismissed; measures evaluated every three months, half ended and the case
/// closed. A public
/// reporter's letters (three weeks from the report, and from the conclusion) go out a few days
/// after the step that owes them in most histories, weeks late in some, never in a few: a
/// service mostly on time, with some letters overdue.
fn plan(rng: &mut Rng, public_reporter: bool) -> Vec<(i64, Step)> {
    let mut steps = vec![(0, Step::Submit)];
    let letters = |rng: &mut Rng, steps: &mut Vec<(i64, Step)>, owed_from: i64| {
        if !public_reporter {
            return;
        }
        let draw = rng.below(100);
        if draw < 85 {
            steps.push((owed_from + 1 + rng.below(5) as i64, Step::SendLetters));
        } else if draw < 95 {
            steps.push((owed_from + 25 + rng.below(20) as i64, Step::SendLetters));
        }
    };
    let mut day = 1 + rng.below(6) as i64;
    if rng.chance(0.3) {
        steps.push((day, Step::ScreenDismissed));
        letters(rng, &mut steps, day);
        steps.sort_by_key(|(offset, _)| *offset);
        return steps;
    }
    steps.push((day, Step::ScreenIntoInvestigation));
    letters(rng, &mut steps, day);
    day += 1 + rng.below(4) as i64;
    steps.push((day, Step::StartInvestigation));
    let started = day;
    for _ in 0..1 + rng.below(3) {
        day += 3 + rng.below(12) as i64;
        steps.push((day, Step::RecordActivity));
    }
    day = day.max(started + 20 + rng.below(81) as i64);
    let measures = rng.chance(0.55);
    steps.push((
        day,
        if measures {
            Step::ConcludeWithMeasures
        } else {
            Step::ConcludeDismissed
        },
    ));
    letters(rng, &mut steps, day);
    if measures {
        day += 1 + rng.below(10) as i64;
        steps.push((day, Step::StartMeasure));
        // Half the measures end after about half a year and the case closes; the others run
        // on past the simulation's end. The plan is evaluated every three months while the
        // measure runs (DOMAIN.md), mostly in time, now and then weeks late.
        let ends = rng.chance(0.5).then_some(day + 170 + rng.below(30) as i64);
        let mut evaluated = day;
        loop {
            evaluated += if rng.chance(0.9) {
                70 + rng.below(15) as i64
            } else {
                95 + rng.below(20) as i64
            };
            if ends.is_some_and(|end| evaluated >= end) || evaluated > day + 800 {
                break;
            }
            steps.push((evaluated, Step::EvaluateMeasure));
        }
        if let Some(end) = ends {
            steps.push((end, Step::EndMeasure));
            steps.push((end + 1, Step::CloseCase));
        }
    }
    steps.sort_by_key(|(offset, _)| *offset);
    steps
}

fn pick(municipalities: &[(String, u32)], total_weight: u64, rng: &mut Rng) -> String {
    let mut left = rng.below(total_weight);
    for (number, weight) in municipalities {
        if left < u64::from(*weight) {
            return number.clone();
        }
        left -= u64::from(*weight);
    }
    municipalities
        .last()
        .map(|(number, _)| number.clone())
        .unwrap_or_default()
}

type Done = (Lifecycle, Vec<(i64, Step)>, usize, bool);

fn schedule((lifecycle, steps, next, ok): Done, due: &mut Due, outcome: &mut Outcome) {
    outcome.commands += 1;
    if !ok {
        outcome.failed += 1;
        return;
    }
    if let Some(&(day, _)) = steps.get(next + 1) {
        due.entry(day)
            .or_default()
            .push((lifecycle, steps, next + 1));
    }
}

/// The events in the store now.
pub async fn events_in(store: &EventStore) -> anyhow::Result<u64> {
    Ok(store.counts().await?.events)
}

/// Fictional children and the service's staff.
#[derive(Default)]
struct People {
    /// Identity numbers given out, so no two children share one.
    numbers: HashSet<String>,
}

const FIRST_NAMES: [&str; 16] = [
    "Emma", "Nora", "Olivia", "Ella", "Sofie", "Leah", "Frida", "Ingrid", "Jakob", "Emil", "Noah",
    "Oliver", "Filip", "Lukas", "Aksel", "Isak",
];
/// Surnames that no one has, so no name in the demo is a real person's.
const SURNAMES: [&str; 8] = [
    "Diktesen",
    "Prøvesen",
    "Eksempelsen",
    "Oppdiktet",
    "Tenkevik",
    "Fiktivsen",
    "Demostad",
    "Lissom",
];
const TEAMS: [&str; 2] = ["Mottak", "Undersøkelse"];
const CASEWORKERS: u64 = 6;

impl People {
    /// Gives the history's child a name, nine in ten of them a synthetic identity number,
    /// and hands the report to a team and a caseworker.
    fn dress(&mut self, lifecycle: &mut Lifecycle, today: NaiveDate, rng: &mut Rng) {
        let first = FIRST_NAMES[rng.below(FIRST_NAMES.len() as u64) as usize];
        let last = SURNAMES[rng.below(SURNAMES.len() as u64) as usize];
        lifecycle.child_name = format!("{first} {last}");
        if rng.chance(0.9) {
            let born = today - chrono::Duration::days(365 + rng.below(15 * 365) as i64);
            let seed = rng.below(400) as u32;
            if let Some(number) = NationalIdentityNumber::synthetic(born, seed)
                .map(String::from)
                .filter(|number| !self.numbers.contains(number))
            {
                self.numbers.insert(number.clone());
                lifecycle.child_number = Some(number);
            }
        }
        lifecycle.team = TEAMS[rng.below(TEAMS.len() as u64) as usize].to_owned();
        lifecycle.caseworker = format!("saksbehandler-{}", 1 + rng.below(CASEWORKERS));
    }
}
