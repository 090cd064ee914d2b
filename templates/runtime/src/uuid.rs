//! Random (version 4) UUIDs for resources with `id_type = "uuid"`.
//!
//! The 122 random bits come from the operating system (`/dev/urandom`), so ids cannot
//! be guessed from one another. Where that device is missing (not a Unix system), the
//! bits come from std's `RandomState`, whose keys the OS seeds, mixed with a counter:
//! still unique, but not for use as secrets.

use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// A new UUID, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx` in lowercase.
pub fn new_v4() -> String {
    let mut bytes = random_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn random_bytes() -> [u8; 16] {
    static URANDOM: OnceLock<Option<File>> = OnceLock::new();
    let mut bytes = [0u8; 16];
    if let Some(mut file) = URANDOM
        .get_or_init(|| File::open("/dev/urandom").ok())
        .as_ref()
    {
        if file.read_exact(&mut bytes).is_ok() {
            return bytes;
        }
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    for half in bytes.chunks_mut(8) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        half.copy_from_slice(&hasher.finish().to_be_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_are_version_4_and_distinct() {
        let a = super::new_v4();
        let b = super::new_v4();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }
}
