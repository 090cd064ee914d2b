//! Document ids in MongoDB's ObjectId form (24 hex digits), Eve's default `_id`:
//! 4 bytes of seconds since the epoch, 5 bytes fixed per process, 3 bytes of a counter.
//! Ids sort by creation time and never repeat within a process.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// A new id.
pub fn new_id() -> String {
    let (process, counter) = process_state();
    let seconds = crate::date::now() as u32;
    let count = counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&seconds.to_be_bytes());
    bytes[4..9].copy_from_slice(&process[..5]);
    bytes[9..].copy_from_slice(&count.to_be_bytes()[1..]);
    let mut out = String::with_capacity(24);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

/// Whether `text` is an id of this form.
pub fn is_valid(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Random bytes for this process and a counter starting at a random value. std's
/// `RandomState` is seeded from the operating system, so no random crate is needed.
fn process_state() -> &'static ([u8; 8], AtomicU32) {
    static STATE: OnceLock<([u8; 8], AtomicU32)> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        let random = hasher.finish();
        (random.to_be_bytes(), AtomicU32::new((random >> 40) as u32))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_and_distinct() {
        let a = new_id();
        let b = new_id();
        assert!(is_valid(&a) && is_valid(&b));
        assert_ne!(a, b);
        assert!(!is_valid("zz5e9f438345b3510d27eb8x"));
    }
}
