//! Brokers started once per test binary and shared by its tests, as `scenario-run` shares them
//! between the scenarios of one invocation (each run gets its own topic and group names).

use std::sync::{Arc, Mutex};

use kafka_scenario::cluster::{Launched, Target};

static LAUNCHED: Mutex<Vec<(Target, Arc<Launched>)>> = Mutex::new(Vec::new());

/// The launched `target`, started by the first test that asks for it.
pub fn launched(target: &Target) -> Arc<Launched> {
    let mut all = LAUNCHED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, launched)) = all.iter().find(|(t, _)| t == target) {
        return Arc::clone(launched);
    }
    let launched = runtime()
        .block_on(target.launch())
        .unwrap_or_else(|e| panic!("{target:?} did not start: {e}"));
    let launched = Arc::new(launched);
    all.push((target.clone(), Arc::clone(&launched)));
    launched
}

/// Stops everything started for the tests; call after the last test.
pub fn shut_down() {
    let all = std::mem::take(&mut *LAUNCHED.lock().unwrap_or_else(|p| p.into_inner()));
    for (target, launched) in all {
        match Arc::try_unwrap(launched) {
            Ok(launched) => {
                if let Err(e) = runtime().block_on(launched.shutdown()) {
                    eprintln!("cannot shut down {target:?}: {e}");
                }
            }
            Err(_) => eprintln!("{target:?} is still in use at the end of the tests"),
        }
    }
}

/// A runtime for one test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}
