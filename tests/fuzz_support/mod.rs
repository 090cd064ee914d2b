//! The harness of the property tests (`tests/fuzz_*.rs`): proptest's runner, bounded
//! for CI and scalable for long runs.
//!
//! - By default each property runs its own small number of cases from a fixed seed, so
//!   CI is quick and a failure reproduces on every machine.
//! - `PROPTEST_CASES=N` runs N cases per property instead.
//! - `APIGEN_FUZZ_SECONDS=S` runs each property for about S seconds, in batches with
//!   fresh random seeds, and prints how many cases ran.
//!
//! A failing case is shrunk to a minimal input and the test panics with it; a panic in
//! the code under test counts as a failure (proptest catches it) and is shrunk too.

#![allow(dead_code)]

use std::cell::Cell;
use std::fmt::Debug;
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseResult, TestRunner};

thread_local! {
    /// Cases that got past the parsers to the deeper checks, this property so far.
    static ACCEPTED: Cell<u64> = const { Cell::new(0) };
}

/// Count a case whose input was accepted, so a run can tell how often the structured
/// inputs get past the parsers (a strategy that only makes errors tests little).
pub fn accepted() {
    ACCEPTED.with(|n| n.set(n.get() + 1));
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Run `test` on inputs from `strategy`; `default_cases` is the CI budget of this
/// property (chosen so the whole suite stays well under a minute on two cores).
pub fn fuzz<S>(
    name: &str,
    default_cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) where
    S: Strategy,
    S::Value: Debug,
{
    let seconds = env_number("APIGEN_FUZZ_SECONDS").map(Duration::from_secs);
    let cases = env_number("PROPTEST_CASES").map_or(default_cases, |n| n.clamp(1, 1 << 30) as u32);
    let config = Config {
        cases,
        // No regression files: minimized failures become plain unit tests instead.
        failure_persistence: None,
        // Timed runs look for new inputs; CI repeats the same ones.
        rng_seed: if seconds.is_some() {
            RngSeed::Random
        } else {
            RngSeed::Fixed(0x5eed_a919_e4f0_0d17)
        },
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let count = Cell::new(0u64);
    ACCEPTED.with(|n| n.set(0));
    let start = Instant::now();
    loop {
        let mut runner = TestRunner::new(config.clone());
        let outcome = runner.run(&strategy, |value| {
            count.set(count.get() + 1);
            test(value)
        });
        if let Err(error) = outcome {
            panic!("{name}: {error}");
        }
        if seconds.is_none_or(|budget| start.elapsed() >= budget) {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {} cases ({} accepted) in {:.1} s, no failure",
        count.get(),
        ACCEPTED.with(Cell::get),
        start.elapsed().as_secs_f64()
    );
}
