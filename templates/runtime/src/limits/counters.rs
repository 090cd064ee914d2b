//! The counters behind quotas and rate limits: the [`Counters`] trait, and
//! [`MemoryCounters`], the in-process implementation every server starts with.
//!
//! # Windows
//!
//! Every count lives in a fixed window aligned to a multiple of its length since the
//! Unix epoch: the window of `now` for a length `w` is `now / w`, and it ends (resets)
//! at `(now / w + 1) * w`. Every implementation counts in these windows, so the
//! middleware can tell a client when a window resets without asking the store.
//!
//! # The in-memory counters: a count-min sketch per window length
//!
//! [`MemoryCounters`] never grows: one table per window length, each [`DEPTH`] rows
//! of [`WIDTH`] cells, every cell an `AtomicU64` packing (window index, count). A key
//! is counted in one cell of each row (cells chosen by a per-process random key, so a
//! client cannot aim at another's cells), and its count is the smallest of its cells.
//! A cell whose window index is older than the ask's counts as 0 and is reset by the
//! same compare-and-swap that adds to it, so nothing is ever swept.
//!
//! Sizing: a table is `DEPTH × WIDTH × 8` bytes = 4 × 65,536 × 8 = 2 MiB, allocated
//! (and touched) when the counters are made: the memory is the same with ten clients
//! or ten million. Other keys sharing a cell only ever add to it, so a client is never
//! counted *less* than it did, only more: it is refused early only when each of its
//! four cells is shared with clients that together sent enough in the same window.
//! With `H` other clients active in one window, a cell is shared with at least one of
//! them with probability about `H / WIDTH`, all four with about `(H / WIDTH)^4`:
//! 5.4 × 10⁻⁸ for 1,000 active clients, 5.5 × 10⁻⁴ for 10,000, 0.1 for 100,000 (and
//! even then, only if those neighbours' counts add up to the limit).
//!
//! # Never more than the limit
//!
//! A take adds to its cells, then compares the new count with the limit; over it, the
//! take subtracts what it added and is refused. Takes whose keys fall under the same
//! one of [`STRIPES`] locks run one at a time (the locks are held for the few atomic
//! operations, never across an await): adding then reading the minimum of several
//! cells without it can admit two concurrent requests of one client where the limit
//! allows one (each can find the other's increment missing from a different cell).
//! Under the lock a client's count is exact on each of its cells, plus what other
//! keys added: never less.
//!
//! # What a restart does
//!
//! The counters live in the process: a restart starts every count again at zero, so
//! every client gets a fresh window (at most one extra window's worth per restart).
//! Several instances serving one API each count alone: give them a shared store.
//!
//! # A shared store (Redis)
//!
//! Implement [`Counters`] over it and hand it to `Limits::new`. In Redis, a take is
//! one `MULTI` of `INCRBY key:<window> cost` + `EXPIREAT key:<window> <reset>` per
//! ask, followed, when some count came back over its limit, by a `DECRBY` of each
//! increment; or, all or nothing in one round trip, a Lua script that `GET`s every
//! key, refuses when one would go over, and otherwise `INCRBY`s and `EXPIREAT`s them
//! all. The keys then have to be the same on every instance: `Limits` hashes them
//! with a per-process random key, which such a store replaces with a secret shared
//! by the instances.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// One count to take: `cost` more on `key`, refused if that brings it over `limit`
/// in the current window of `window_secs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ask {
    /// What is counted (a quota and its consumer, or a rate limit and its client),
    /// hashed.
    pub key: u64,
    pub cost: u32,
    pub limit: u32,
    pub window_secs: u32,
}

/// What a take did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Taken {
    /// The first ask that would have gone over its limit: nothing was counted.
    /// `None`: every ask was counted.
    pub refused: Option<usize>,
    /// The counts of the first [`Taken::REPORTED`] asks: after this take when it was
    /// admitted, as they stand without it when it was refused (0 for the asks after
    /// the refused one, which were not looked at).
    pub counts: [u32; Taken::REPORTED],
}

impl Taken {
    /// How many asks' counts a take reports.
    pub const REPORTED: usize = 8;

    /// The count of ask `index` (see [`Taken::counts`]); 0 past the reported ones.
    pub fn count(&self, index: usize) -> u32 {
        self.counts.get(index).copied().unwrap_or(0)
    }
}

/// Where counts are kept: in the process ([`MemoryCounters`]), or a store that
/// several instances share.
pub trait Counters: Send + Sync + 'static {
    /// Take `asks` all or none, each in the window `now` (Unix seconds) falls in for
    /// its `window_secs` (aligned to multiples of it since the epoch): if one would go
    /// over its limit, none is counted. Never admits more than a limit, whatever the
    /// concurrency; may refuse early (an estimate, never under the true count).
    fn take(&self, asks: &[Ask], now: u64) -> Taken;
}

/// Cells per row of a table (a power of two).
pub const WIDTH: usize = 1 << 16;
/// Rows per table: a key has one cell in each.
pub const DEPTH: usize = 4;
/// Locks serializing the takes of one key (by key).
pub const STRIPES: usize = 4096;
/// Most window lengths one set of counters holds a table for.
pub const MAX_TABLES: usize = 16;

/// The in-process counters: fixed memory, a count-min sketch per window length (see
/// the module's documentation).
pub struct MemoryCounters {
    tables: [OnceLock<Table>; MAX_TABLES],
    stripes: Box<[Mutex<()>]>,
    /// Per-row seeds, so the cells of a key are not predictable from the key.
    seeds: [u64; DEPTH],
}

impl std::fmt::Debug for MemoryCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let windows: Vec<u32> = self
            .tables
            .iter()
            .filter_map(|t| t.get().map(|t| t.window_secs))
            .collect();
        f.debug_struct("MemoryCounters")
            .field("windows", &windows)
            .finish()
    }
}

/// The counts of one window length.
struct Table {
    window_secs: u32,
    /// `DEPTH` rows of `WIDTH` cells, row after row.
    cells: Box<[AtomicU64]>,
}

impl Table {
    fn new(window_secs: u32) -> Table {
        let cells: Box<[AtomicU64]> = (0..DEPTH * WIDTH).map(|_| AtomicU64::new(0)).collect();
        // The allocation may come as fresh zero pages the OS only commits when first
        // written: write them now, so the process holds its table from the start and
        // never grows with its clients.
        for cell in cells.iter() {
            cell.store(0, Ordering::Relaxed);
        }
        Table { window_secs, cells }
    }
}

/// A cell's value: the window index above, the count below.
fn pack(window: u32, count: u32) -> u64 {
    (u64::from(window) << 32) | u64::from(count)
}

fn unpack(cell: u64) -> (u32, u32) {
    ((cell >> 32) as u32, cell as u32)
}

/// SplitMix64's finalizer: spreads a seeded key over a row.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The index of a window length's window `now` falls in (wrapping past 2106 for
/// one-second windows, which only matters if the server runs across that second).
fn window_of(now: u64, window_secs: u32) -> u32 {
    (now / u64::from(window_secs.max(1))) as u32
}

/// Asks taken without a heap allocation; more spill to the heap.
const INLINE: usize = 8;

impl MemoryCounters {
    /// Counters with a table made now for each of `windows` (window lengths in
    /// seconds; duplicates are fine). A window length not listed gets its table at
    /// its first take, up to [`MAX_TABLES`] lengths in all.
    pub fn new(windows: &[u32]) -> MemoryCounters {
        let random = RandomState::new();
        let seeds = std::array::from_fn(|row| random.hash_one(row));
        let counters = MemoryCounters {
            tables: std::array::from_fn(|_| OnceLock::new()),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            seeds,
        };
        for &window in windows {
            counters.table(window.max(1));
        }
        counters
    }

    /// The bytes the counters hold (tables made so far and locks).
    pub fn memory_bytes(&self) -> usize {
        let tables = self.tables.iter().filter(|t| t.get().is_some()).count();
        tables * DEPTH * WIDTH * std::mem::size_of::<AtomicU64>()
            + STRIPES * std::mem::size_of::<Mutex<()>>()
    }

    /// The table of `window_secs`, made if it is new; `None` once [`MAX_TABLES`]
    /// other lengths have one.
    fn table(&self, window_secs: u32) -> Option<&Table> {
        for slot in &self.tables {
            let table = slot.get_or_init(|| Table::new(window_secs));
            if table.window_secs == window_secs {
                return Some(table);
            }
        }
        None
    }

    /// The cell indexes of `key` in a table.
    fn cells(&self, key: u64) -> [usize; DEPTH] {
        std::array::from_fn(|row| row * WIDTH + (mix(key ^ self.seeds[row]) as usize & (WIDTH - 1)))
    }

    fn stripe(&self, key: u64) -> usize {
        (mix(key ^ self.seeds[0].rotate_left(17)) as usize) & (STRIPES - 1)
    }

    /// Run `f` holding the locks of `stripes` (sorted, without duplicates), taken in
    /// order, so two takes never wait on each other in a cycle.
    fn with_locks<R>(&self, stripes: &[usize], f: impl FnOnce() -> R) -> R {
        match stripes.split_first() {
            None => f(),
            Some((&first, rest)) => {
                let _held = self.stripes[first]
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                self.with_locks(rest, f)
            }
        }
    }

    /// Add `cost` to the cells of `ask` in window `window`: the count after (the
    /// smallest of its cells).
    fn add(&self, table: &Table, key: u64, window: u32, cost: u32) -> u32 {
        let mut count = u32::MAX;
        for index in self.cells(key) {
            let cell = &table.cells[index];
            let mut current = cell.load(Ordering::Relaxed);
            let after = loop {
                let (cell_window, cell_count) = unpack(current);
                let next = match cell_window.cmp(&window) {
                    // A past window: this one starts at 0.
                    std::cmp::Ordering::Less => pack(window, cost),
                    std::cmp::Ordering::Equal => pack(window, cell_count.saturating_add(cost)),
                    // A later window already (a request that took its time a moment
                    // before a newer one): counted in the newer one, which can only
                    // count more.
                    std::cmp::Ordering::Greater => {
                        pack(cell_window, cell_count.saturating_add(cost))
                    }
                };
                match cell.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Relaxed)
                {
                    Ok(_) => break unpack(next).1,
                    Err(actual) => current = actual,
                }
            };
            count = count.min(after);
        }
        count
    }

    /// Take back `cost` from the cells of `key` still in window `window` (a cell
    /// that moved on to a later window has already forgotten it).
    fn subtract(&self, table: &Table, key: u64, window: u32, cost: u32) {
        for index in self.cells(key) {
            let cell = &table.cells[index];
            let _ = cell.fetch_update(Ordering::AcqRel, Ordering::Relaxed, |current| {
                let (cell_window, cell_count) = unpack(current);
                (cell_window == window).then(|| pack(window, cell_count.saturating_sub(cost)))
            });
        }
    }

    /// The take itself, its keys' locks held.
    fn take_locked(&self, asks: &[Ask], now: u64) -> Taken {
        let mut taken = Taken::default();
        for (i, ask) in asks.iter().enumerate() {
            let window_secs = ask.window_secs.max(1);
            let Some(table) = self.table(window_secs) else {
                // More window lengths than tables: refuse rather than count nowhere.
                tracing::error!(window_secs, "rate limit counters: too many window lengths");
                self.undo(&asks[..i], now);
                taken.refused = Some(i);
                return taken;
            };
            let window = window_of(now, window_secs);
            let count = self.add(table, ask.key, window, ask.cost);
            if let Some(slot) = taken.counts.get_mut(i) {
                *slot = count;
            }
            if count > ask.limit {
                self.undo(&asks[..=i], now);
                for (slot, ask) in taken.counts.iter_mut().zip(&asks[..=i]) {
                    *slot = slot.saturating_sub(ask.cost);
                }
                taken.refused = Some(i);
                return taken;
            }
        }
        taken
    }

    /// Take back every ask of `asks` (counted in this take).
    fn undo(&self, asks: &[Ask], now: u64) {
        for ask in asks {
            let window_secs = ask.window_secs.max(1);
            if let Some(table) = self.table(window_secs) {
                self.subtract(table, ask.key, window_of(now, window_secs), ask.cost);
            }
        }
    }
}

impl Counters for MemoryCounters {
    fn take(&self, asks: &[Ask], now: u64) -> Taken {
        let mut inline = [0usize; INLINE];
        let mut spilled = Vec::new();
        let stripes: &mut [usize] = if asks.len() <= INLINE {
            &mut inline[..asks.len()]
        } else {
            spilled.resize(asks.len(), 0);
            &mut spilled
        };
        for (stripe, ask) in stripes.iter_mut().zip(asks) {
            *stripe = self.stripe(ask.key);
        }
        stripes.sort_unstable();
        let mut distinct = 0;
        for i in 0..stripes.len() {
            if i == 0 || stripes[i] != stripes[distinct - 1] {
                stripes[distinct] = stripes[i];
                distinct += 1;
            }
        }
        self.with_locks(&stripes[..distinct], || self.take_locked(asks, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::sync::Arc;

    fn ask(key: u64, cost: u32, limit: u32, window_secs: u32) -> Ask {
        Ask {
            key,
            cost,
            limit,
            window_secs,
        }
    }

    #[test]
    fn a_key_is_admitted_up_to_its_limit_then_refused() {
        let counters = MemoryCounters::new(&[60]);
        for n in 1..=3 {
            let taken = counters.take(&[ask(7, 1, 3, 60)], 120);
            assert_eq!(taken.refused, None);
            assert_eq!(taken.count(0), n);
        }
        let taken = counters.take(&[ask(7, 1, 3, 60)], 179);
        assert_eq!(taken.refused, Some(0));
        // Refused: the count as it stands, without this request.
        assert_eq!(taken.count(0), 3);
    }

    #[test]
    fn all_or_nothing_across_several_asks_and_refused_costs_nothing() {
        let counters = MemoryCounters::new(&[60, 900]);
        let a = ask(1, 2, 10, 60);
        let b = ask(2, 5, 10, 60);
        let rate = ask(3, 1, 100, 900);
        assert_eq!(counters.take(&[rate, a, b], 0).refused, None);
        assert_eq!(counters.take(&[rate, a, b], 0).refused, None);
        // b would reach 15: nothing is counted, neither a, nor b, nor the rate.
        let taken = counters.take(&[rate, a, b], 0);
        assert_eq!(taken.refused, Some(2));
        assert_eq!(taken.counts[..3], [2, 4, 10]);
        // a alone still has its 6 left: its count is 4, not 6.
        let taken = counters.take(&[ask(1, 6, 10, 60)], 0);
        assert_eq!(taken.refused, None);
        assert_eq!(taken.count(0), 10);
        assert_eq!(counters.take(&[rate], 0).count(0), 3);
    }

    #[test]
    fn a_new_window_starts_at_zero() {
        let counters = MemoryCounters::new(&[10]);
        for _ in 0..5 {
            counters.take(&[ask(9, 1, 5, 10)], 1_000_009);
        }
        assert_eq!(
            counters.take(&[ask(9, 1, 5, 10)], 1_000_009).refused,
            Some(0)
        );
        let taken = counters.take(&[ask(9, 1, 5, 10)], 1_000_010);
        assert_eq!(taken.refused, None);
        assert_eq!(taken.count(0), 1);
    }

    #[test]
    fn keys_are_counted_apart() {
        let counters = MemoryCounters::new(&[60]);
        for _ in 0..3 {
            counters.take(&[ask(1, 1, 3, 60)], 0);
        }
        assert_eq!(counters.take(&[ask(1, 1, 3, 60)], 0).refused, Some(0));
        assert_eq!(counters.take(&[ask(2, 1, 3, 60)], 0).count(0), 1);
    }

    #[test]
    fn an_unlisted_window_gets_a_table_and_too_many_are_refused() {
        let counters = MemoryCounters::new(&[]);
        for window in 1..=MAX_TABLES as u32 {
            assert_eq!(counters.take(&[ask(1, 1, 5, window)], 0).refused, None);
        }
        let taken = counters.take(&[ask(1, 1, 5, 60), ask(1, 1, 5, 1)], 0);
        assert_eq!(taken.refused, Some(0));
        // The refused take counted nothing in the window it did find.
        assert_eq!(counters.take(&[ask(1, 1, 5, 1)], 0).count(0), 2);
    }

    #[test]
    fn many_asks_spill_and_still_lock_each_stripe_once() {
        let counters = MemoryCounters::new(&[60]);
        let asks: Vec<Ask> = (0..20).map(|k| ask(k % 5, 1, 10, 60)).collect();
        // Each of the 5 keys is asked 4 times: 4 per take, 8 after two; the third
        // take goes over on the 11th ask.
        assert_eq!(counters.take(&asks, 0).refused, None);
        assert_eq!(counters.take(&asks, 0).refused, None);
        assert_eq!(counters.take(&asks, 0).refused, Some(10));
        assert_eq!(counters.take(&asks[..1], 0).count(0), 9);
    }

    #[test]
    fn eight_threads_on_one_key_admit_exactly_the_limit() {
        const LIMIT: u32 = 1000;
        let counters = Arc::new(MemoryCounters::new(&[60]));
        let admitted = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let counters = counters.clone();
                let admitted = admitted.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        let asks = [ask(42, 1, LIMIT, 60), ask(43, 1, 2 * LIMIT, 60)];
                        if counters.take(&asks, 600).refused.is_none() {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(admitted.load(Ordering::Relaxed), LIMIT);
    }

    #[test]
    fn a_cell_shared_with_a_heavy_key_only_ever_counts_more() {
        // Every cell of a light key full of other keys' counts: refused early, never
        // admitted past its limit.
        let counters = MemoryCounters::new(&[60]);
        let light = 5;
        for _ in 0..10 {
            counters.take(&[ask(light, 1, 100, 60)], 0);
        }
        for heavy in 1000..3000 {
            counters.take(&[ask(heavy, 50, u32::MAX, 60)], 0);
        }
        let mut admitted = 0;
        while counters
            .take(&[ask(light, 1, 100, 60)], 0)
            .refused
            .is_none()
        {
            admitted += 1;
        }
        assert!(admitted <= 90, "{admitted}");
    }

    /// `cargo test --release -p apigen-runtime --features limits --lib -- --ignored
    /// --nocapture --test-threads=1 measure`
    #[test]
    #[ignore]
    fn measure_take_throughput() {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let counters = Arc::new(MemoryCounters::new(&[60, 900]));
        const TAKES: u64 = 2_000_000;
        for distinct in [true, false] {
            let start = std::time::Instant::now();
            let handles: Vec<_> = (0..threads as u64)
                .map(|t| {
                    let counters = counters.clone();
                    std::thread::spawn(move || {
                        let random = RandomState::new();
                        for i in 0..TAKES {
                            let key = if distinct { random.hash_one((t, i)) } else { 1 };
                            // A request with one quota and a rate limit.
                            let asks = [ask(key, 1, u32::MAX, 900), ask(key ^ 1, 1, u32::MAX, 60)];
                            std::hint::black_box(counters.take(&asks, 1_000));
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap();
            }
            let elapsed = start.elapsed();
            let total = TAKES * threads as u64;
            println!(
                "measure_take_throughput: {threads} threads, {} keys: {total} takes (2 asks each) in {:.2?}: {:.1} M takes/s, {:.0} ns/take/thread",
                if distinct { "distinct" } else { "one hot" },
                elapsed,
                total as f64 / elapsed.as_secs_f64() / 1e6,
                elapsed.as_nanos() as f64 * threads as f64 / total as f64,
            );
        }
    }

    /// The process's resident memory, in KiB (`/proc/self/statm`).
    fn rss_kib() -> u64 {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: u64 = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        pages * 4
    }

    #[test]
    #[ignore]
    fn measure_memory_with_100000_keys() {
        let before_counters = rss_kib();
        let counters = MemoryCounters::new(&[60, 1]);
        let random = RandomState::new();
        let before = rss_kib();
        println!(
            "measure_memory_with_100000_keys: RSS {before_counters} KiB, {before} KiB once the counters are made (they hold {} KiB)",
            counters.memory_bytes() / 1024
        );
        for round in 0..3u64 {
            for client in 0..100_000u64 {
                let key = random.hash_one((round, client));
                std::hint::black_box(counters.take(
                    &[ask(key, 1, 10, 60), ask(key ^ 7, 1, 10, 1)],
                    1_000 + round,
                ));
            }
            println!(
                "measure_memory_with_100000_keys: after round {} of 100,000 distinct keys (2 asks each, a new window each round): RSS {} KiB",
                round + 1,
                rss_kib(),
            );
        }
        assert!(rss_kib() < before + 1024, "RSS grew by more than 1 MiB");
    }

    #[test]
    #[ignore]
    fn measure_admitted_per_window_under_load() {
        const LIMIT: u32 = 1000;
        const WINDOWS: usize = 5;
        let threads = 8;
        let counters = Arc::new(MemoryCounters::new(&[1]));
        let epoch = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        };
        let first = epoch() + 1;
        while epoch() < first {
            std::hint::spin_loop();
        }
        // Admitted per window of the time each take was given, when the clock was
        // still in that window after the take; a take that straddled a boundary (its
        // thread was descheduled between reading the clock and taking, while others
        // went on in the next window) may have been counted in either, and is
        // reported apart, by the window it read.
        let admitted: Arc<Vec<AtomicU32>> =
            Arc::new((0..WINDOWS).map(|_| AtomicU32::new(0)).collect());
        let straddled: Arc<Vec<AtomicU32>> =
            Arc::new((0..WINDOWS).map(|_| AtomicU32::new(0)).collect());
        let tried = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (counters, admitted, straddled, tried) = (
                    counters.clone(),
                    admitted.clone(),
                    straddled.clone(),
                    tried.clone(),
                );
                std::thread::spawn(move || loop {
                    let now = epoch();
                    let window = (now - first) as usize;
                    if window >= WINDOWS {
                        break;
                    }
                    tried.fetch_add(1, Ordering::Relaxed);
                    if counters
                        .take(&[ask(99, 1, LIMIT, 1)], now)
                        .refused
                        .is_none()
                    {
                        let tally = if epoch() == now {
                            &admitted
                        } else {
                            &straddled
                        };
                        tally[window].fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let load = |tally: &[AtomicU32]| -> Vec<u32> {
            tally.iter().map(|a| a.load(Ordering::Relaxed)).collect()
        };
        let (per_window, straddling) = (load(&admitted), load(&straddled));
        println!(
            "measure_admitted_per_window_under_load: limit {LIMIT} per 1 s, {threads} threads on one key, {} takes tried in {WINDOWS} windows; admitted per window: {per_window:?}; admitted across a boundary: {straddling:?}; in all {} (at most {})",
            tried.load(Ordering::Relaxed),
            per_window.iter().chain(&straddling).sum::<u32>(),
            LIMIT as usize * WINDOWS,
        );
        assert!(per_window.iter().all(|&n| n <= LIMIT));
        assert!(per_window.iter().chain(&straddling).sum::<u32>() <= LIMIT * WINDOWS as u32);
    }
}
