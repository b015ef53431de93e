//! OpenCode's id scheme: `prefix_` + 12 hex digits of time + 14 random base62 characters.
//!
//! The hex is the low 48 bits of `ms * 4096 + counter`, big-endian. Message and part ids ascend
//! with time (parts are read back ordered by id alone, so their order is their id order); session
//! ids are bit-inverted so the newest sorts first.

use handoff_plugin_api::AdapterError;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LEN: usize = 14;
const LOW_48_BITS: u64 = (1 << 48) - 1;

/// Mints ids that strictly ascend in the order they are asked for, even within one millisecond
/// or when a caller's clock goes backwards.
#[derive(Debug, Default)]
pub struct IdGen {
    last: u64,
}

impl IdGen {
    /// An ascending id (`msg`, `prt`) for time `ms`.
    pub fn ascending(&mut self, prefix: &str, ms: i64) -> Result<String, AdapterError> {
        let value = self.next_value(ms);
        encode(prefix, value)
    }

    /// A descending id (`ses`) for time `ms`: newer sorts first.
    pub fn descending(&mut self, prefix: &str, ms: i64) -> Result<String, AdapterError> {
        let value = self.next_value(ms);
        encode(prefix, !value)
    }

    fn next_value(&mut self, ms: i64) -> u64 {
        let base = u64::try_from(ms)
            .unwrap_or(0)
            .wrapping_mul(4096)
            .wrapping_add(1);
        self.last = base.max(self.last.wrapping_add(1));
        self.last
    }
}

fn encode(prefix: &str, value: u64) -> Result<String, AdapterError> {
    let mut random = [0u8; RANDOM_LEN];
    getrandom::fill(&mut random)
        .map_err(|e| AdapterError::internal(format!("opencode: no randomness for ids: {e}")))?;
    let tail: String = random
        .iter()
        .map(|b| char::from(BASE62[usize::from(*b) % BASE62.len()]))
        .collect();
    Ok(format!("{prefix}_{:012x}{tail}", value & LOW_48_BITS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_opencodes_shape() {
        let mut ids = IdGen::default();
        let id = ids.ascending("msg", 1_795_480_039_992).unwrap();
        assert_eq!(id.len(), "msg_".len() + 26);
        // Same time prefix as the real `msg_20af33238001…` written at that millisecond.
        assert!(id.starts_with("msg_20af33238001"), "{id}");
        assert!(id[16..].bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn session_ids_descend_like_the_real_one() {
        let mut ids = IdGen::default();
        // The real sample: ses_df50ccdc8ffe… was minted at 1795480039991 ms (counter 1).
        let id = ids.descending("ses", 1_795_480_039_991).unwrap();
        assert!(id.starts_with("ses_df50ccdc8ffe"), "{id}");
        let older = IdGen::default().descending("ses", 1_000).unwrap();
        assert!(id < older, "newer sessions sort first");
    }

    #[test]
    fn ascending_ids_ascend_within_a_millisecond_and_across_clock_steps_back() {
        let mut ids = IdGen::default();
        let mut previous = String::new();
        for ms in [5_000, 5_000, 5_000, 4_000, 5_001, 5_001] {
            let id = ids.ascending("prt", ms).unwrap();
            assert!(
                id[..16] > previous[..previous.len().min(16)],
                "{id} after {previous}"
            );
            previous = id;
        }
    }
}
