//! Entity tags, as Eve computes them: the SHA-1 of the document's fields, in hex.
//!
//! The tag is computed once per write and stored with the document, so reads only copy
//! it. SHA-1 is here for Eve compatibility and collision resistance between versions of
//! one document, not for security; it is small enough to carry instead of a crate.

/// Lowercase hex SHA-1 of `bytes`.
pub fn sha1_hex(bytes: &[u8]) -> String {
    let digest = sha1(bytes);
    let mut out = String::with_capacity(40);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The tag of a document's user fields (keys sorted: `serde_json::Map` is ordered).
pub fn of_fields(fields: &serde_json::Map<String, serde_json::Value>) -> String {
    sha1_hex(&serde_json::to_vec(fields).unwrap_or_default())
}

/// Whether an `If-None-Match` header value names `etag`: `*`, or a comma separated
/// list of quoted or bare tags, weak (`W/`) ones included: RFC 9110 compares
/// `If-None-Match` weakly.
pub fn header_matches(header: &str, etag: &str) -> bool {
    candidates(header).any(|(_weak, tag)| tag == "*" || tag.eq_ignore_ascii_case(etag))
}

/// Whether an `If-Match` header value names `etag` under RFC 9110's strong
/// comparison: a weak tag (`W/"..."`) never matches, as Eve answers 412 to one.
pub fn header_matches_strong(header: &str, etag: &str) -> bool {
    candidates(header).any(|(weak, tag)| tag == "*" || (!weak && tag.eq_ignore_ascii_case(etag)))
}

/// The tags of a header value: whether each is weak, and its text without quotes.
fn candidates(header: &str) -> impl Iterator<Item = (bool, &str)> {
    header.split(',').map(str::trim).map(|candidate| {
        let (weak, tag) = match candidate.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, candidate),
        };
        (weak, tag.trim_matches('"'))
    })
}

/// SHA-1 (FIPS 180-4). Whole blocks are read in place; only the tail is copied to be
/// padded, and the message schedule is a rolling window of 16 words.
fn sha1(message: &[u8]) -> [u8; 20] {
    let mut state: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut blocks = message.chunks_exact(64);
    for block in &mut blocks {
        compress(&mut state, block);
    }
    let rest = blocks.remainder();
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let tail_len = if rest.len() < 56 { 64 } else { 128 };
    let bit_length = (message.len() as u64).wrapping_mul(8);
    tail[tail_len - 8..tail_len].copy_from_slice(&bit_length.to_be_bytes());
    for block in tail[..tail_len].chunks_exact(64) {
        compress(&mut state, block);
    }
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn compress(state: &mut [u32; 5], block: &[u8]) {
    let mut w = [0u32; 16];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    // The four 20-round stages, each with its own function and constant.
    macro_rules! stage {
        ($range:expr, $k:expr, |$b:ident, $c:ident, $d:ident| $f:expr) => {
            for i in $range {
                if i >= 16 {
                    w[i & 15] = (w[(i + 13) & 15] ^ w[(i + 8) & 15] ^ w[(i + 2) & 15] ^ w[i & 15])
                        .rotate_left(1);
                }
                let ($b, $c, $d) = (b, c, d);
                let temp = a
                    .rotate_left(5)
                    .wrapping_add($f)
                    .wrapping_add(e)
                    .wrapping_add($k)
                    .wrapping_add(w[i & 15]);
                e = d;
                d = c;
                c = b.rotate_left(30);
                b = a;
                a = temp;
            }
        };
    }
    stage!(0..20, 0x5A82_7999u32, |b, c, d| (b & c) | (!b & d));
    stage!(20..40, 0x6ED9_EBA1u32, |b, c, d| b ^ c ^ d);
    stage!(40..60, 0x8F1B_BCDCu32, |b, c, d| (b & c)
        | (b & d)
        | (c & d));
    stage!(60..80, 0xCA62_C1D6u32, |b, c, d| b ^ c ^ d);
    for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *s = s.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_known_sha1_digests() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        // Lengths around the padding boundaries (55, 56, 63, 64 bytes).
        assert_eq!(
            sha1_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            sha1_hex(&[b'a'; 55]),
            "c1c8bbdc22796e28c0e15163d20899b65621d65a"
        );
        assert_eq!(
            sha1_hex(&[b'a'; 64]),
            "0098ba824b5c16427bd7a1122a5a442a25ec644d"
        );
        let long = [b'a'; 1000];
        assert_eq!(sha1_hex(&long), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
    }

    #[test]
    fn header_lists_quoted_weak_and_star() {
        assert!(header_matches("\"abc\"", "abc"));
        assert!(header_matches("W/\"x\", \"abc\"", "abc"));
        assert!(header_matches("abc", "abc"));
        assert!(header_matches("*", "abc"));
        assert!(!header_matches("\"abd\"", "abc"));
    }

    #[test]
    fn if_match_compares_strongly() {
        assert!(header_matches_strong("\"abc\"", "abc"));
        assert!(header_matches_strong("\"x\", \"abc\"", "abc"));
        assert!(header_matches_strong("*", "abc"));
        assert!(!header_matches_strong("W/\"abc\"", "abc"));
        assert!(!header_matches_strong("W/\"abc\", \"x\"", "abc"));
        // If-None-Match still compares weakly.
        assert!(header_matches("W/\"abc\"", "abc"));
    }
}
