//! A tiny deterministic generator (SplitMix64) and the text it makes: no dependency, same output
//! on every machine.

pub struct Rng(u64);

const WORDS: &[&str] = &[
    "the",
    "parser",
    "returns",
    "an",
    "error",
    "when",
    "config",
    "file",
    "is",
    "missing",
    "fix",
    "test",
    "module",
    "function",
    "value",
    "cache",
    "index",
    "session",
    "build",
    "release",
    "handler",
    "request",
    "response",
    "async",
    "thread",
    "buffer",
    "stream",
    "token",
    "update",
    "refactor",
    "into",
    "from",
    "with",
    "without",
    "check",
    "list",
    "read",
    "write",
    "path",
    "directory",
    "struct",
    "field",
    "type",
    "trait",
    "impl",
    "match",
    "option",
    "result",
    "vector",
    "string",
    "bytes",
    "offset",
    "length",
    "line",
    "column",
    "output",
    "input",
    "schema",
    "query",
    "database",
    "migration",
    "logger",
    "metric",
    "retry",
    "timeout",
    "deadline",
    "queue",
    "worker",
];

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        let n = u64::try_from(n.max(1)).unwrap_or(u64::MAX);
        usize::try_from(self.next_u64() % n).unwrap_or(0)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    pub fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len + 16);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(len);
        out
    }

    pub fn word(&mut self) -> &'static str {
        WORDS
            .get(self.below(WORDS.len()))
            .copied()
            .unwrap_or("word")
    }

    /// A sentence of `words` words.
    pub fn sentence(&mut self, words: usize) -> String {
        let mut out = String::new();
        for i in 0..words.max(1) {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.word());
        }
        out
    }

    /// A sentence of `min` to `min + spread - 1` words.
    pub fn text(&mut self, min: usize, spread: usize) -> String {
        let words = min + self.below(spread);
        self.sentence(words)
    }

    /// About `bytes` of tool output: numbered lines of code-like text.
    pub fn output(&mut self, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes + 80);
        let mut line = 1;
        while out.len() < bytes {
            let words = 3 + self.below(9);
            out.push_str(&format!("{line:>4}  {}\n", self.sentence(words)));
            line += 1;
        }
        out
    }

    /// A size between `min` and `max`, skewed toward `min` (most outputs are small).
    pub fn skewed(&mut self, min: usize, max: usize) -> usize {
        let u = self.unit();
        min + ((max.saturating_sub(min)) as f64 * u * u * u) as usize
    }
}
