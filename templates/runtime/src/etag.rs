//! Entity tags, as Eve computes them: the SHA-1 of the document's fields, in hex.
//!
//! The tag is computed once per write and stored with the document, so reads only copy
//! it. SHA-1 is here for Eve compatibility and collision resistance between versions of
//! one document, not for security; `sha1_smol` computes it (a maintained crate with no
//! dependencies, as the rules for anything cryptographic ask).

/// Lowercase hex SHA-1 of `bytes`.
pub fn sha1_hex(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

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
