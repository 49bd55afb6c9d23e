//! The memory a user costs in the in-memory state: a `State` is filled with users as the
//! store's records load them (each applied, its version noted), and the growth of the
//! process's resident memory is divided by their number. Only the state is measured, not the
//! server around it: `tools/bench-server` measures the whole process.
//!
//! `cargo bench -p warden-core --bench state_memory` fills 100,000 users; with
//! `WARDEN_BENCH_QUICK=1`, or when run as a test, 20,000. Reads `/proc/self/status`, so it
//! measures on Linux only and says so elsewhere.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark setup")]

use warden_core::model::{AccountId, EntityName, EntityPath, UniqueId, User};
use warden_core::state::{Mutation, State};
use warden_core::store::Kind;

/// What design.md allows a user in the whole server.
const TARGET_KIB: f64 = 1.0;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let as_test = args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench");
    let quick = as_test || std::env::var("WARDEN_BENCH_QUICK").is_ok_and(|v| v == "1");
    let users: u64 = if quick { 20_000 } else { 100_000 };

    let Some(before) = resident_kib() else {
        println!("state_memory: no /proc/self/status here; nothing measured");
        return;
    };
    let mut state = State::default();
    for n in 0..users {
        let user = user(n);
        let id = user.id.clone();
        state.apply(Mutation::User(user));
        state.set_version(Kind::User, &id, Some(n + 1));
    }
    let after = resident_kib().expect("read before");
    let held = state.account(ACCOUNT).map_or(0, |a| a.users.len());
    assert_eq!(held, usize::try_from(users).expect("fits"));
    let per_user = after.saturating_sub(before) as f64 / users as f64;
    let verdict = if per_user <= TARGET_KIB {
        "within"
    } else {
        "over"
    };
    println!(
        "state_memory: {users} users, {per_user:.3} KiB resident per user in the state \
         ({verdict} the {TARGET_KIB} KiB a user may cost the whole server)"
    );
}

const ACCOUNT: &str = "123456789012";

/// A user as CreateUser makes one without options (the name as tools/bench-server spells it).
fn user(n: u64) -> User {
    User {
        id: UniqueId::new(&format!("AIDA{n:017}")),
        account: AccountId::parse(ACCOUNT).unwrap_or_default(),
        name: EntityName::new(&format!("m{n:06}")),
        path: EntityPath::root(),
        created: 1_700_000_000,
        tags: Vec::new(),
        inline: Vec::new(),
        attached: Vec::new(),
        groups: Vec::new(),
        boundary: None,
        password_last_used: None,
    }
}

/// The process's resident memory (`VmRSS`), in KiB.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
