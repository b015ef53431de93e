//! Reading an extraction's JSON on two threads: a long session is tens of megabytes of JSON from
//! the adapter to the host, on the path of every transfer.

use handoff_plugin_api::{Extracted, Message};
use serde::de::Error as _;

/// What `serde_json::from_str::<Extracted>` gives. When the text has the layout serde writes
/// (`{"transcript":{…,"messages":[…]},"report":…}`, no whitespace), the two halves of the
/// messages are read at once; any other text, or any half that does not read, is read the plain
/// way, which also gives the authoritative error.
pub fn decode_extracted(text: &str) -> serde_json::Result<Extracted> {
    match read_in_halves(text) {
        Some(extracted) => Ok(extracted),
        None => serde_json::from_str(text),
    }
}

/// Below this many bytes of messages a second thread costs more than it saves.
const PARALLEL_FROM: usize = 1 << 20;

fn read_in_halves(text: &str) -> Option<Extracted> {
    const OPEN: &str = r#","messages":["#;
    const CLOSE: &str = r#"]},"report":"#;
    // Keys and brackets outside strings: a string's quotes are escaped, so these cannot come
    // from inside one. The messages close where the report starts, after the last of them.
    let open = text.find(OPEN)? + OPEN.len();
    let close = text.rfind(CLOSE)?;
    let messages = text.get(open..close)?;
    if messages.len() < PARALLEL_FROM {
        return None;
    }
    // A message boundary near the middle; one inside a tool input leaves a half unbalanced, and
    // then that half does not read.
    let middle = messages.len() / 2;
    let split = middle + messages.get(middle..)?.find(r#"},{"role":"#)? + 1;
    let (first, second) = (messages.get(..split)?, messages.get(split + 1..)?);
    let shell = [text.get(..open)?, text.get(close..)?].concat();
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| read_list(second));
        (read_list(first), second.join())
    });
    let mut extracted: Extracted = serde_json::from_str(&shell).ok()?;
    let mut all = first.ok()?;
    all.extend(second.ok()?.ok()?);
    extracted.transcript.messages = all;
    Some(extracted)
}

/// Messages written one after another with commas between them (a JSON array without its
/// brackets).
fn read_list(mut list: &str) -> serde_json::Result<Vec<Message>> {
    let mut messages = Vec::new();
    loop {
        let mut stream = serde_json::Deserializer::from_str(list).into_iter::<Message>();
        let Some(message) = stream.next() else {
            return Ok(messages);
        };
        messages.push(message?);
        let rest = list.get(stream.byte_offset()..).unwrap_or_default();
        list = match rest.strip_prefix(',') {
            Some(next) => next,
            None if rest.is_empty() => return Ok(messages),
            None => return Err(serde_json::Error::custom("expected `,` between messages")),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::{ExtractReport, Part, Role, SessionMeta, Transcript};
    use serde_json::json;

    fn extracted(messages: Vec<Message>) -> Extracted {
        Extracted {
            transcript: Transcript::new(
                SessionMeta {
                    id: "s".into(),
                    agent: "test".into(),
                    title: Some(r#"a title with ,"messages":[ in it"#.into()),
                    ..SessionMeta::default()
                },
                messages,
            ),
            report: ExtractReport {
                warnings: vec![r#"]},"report":"#.into()],
                ..ExtractReport::default()
            },
        }
    }

    /// Big enough to be read in halves; some tool inputs hold what looks like a message
    /// boundary, at every nesting depth.
    fn messages() -> Vec<Message> {
        (0..4_000)
            .map(|i| {
                let parts = if i % 3 == 0 {
                    vec![Part::ToolCall {
                        id: format!("call_{i}"),
                        name: "send".into(),
                        input: json!({"history": [{"role": "user"}, {"role": "x", "deep": [{"role": "y"}]}],
                                      "report": {"a": [1]}, "text": "},{\"role\":\""}),
                                      tool: Default::default(),
                    }]
                } else {
                    vec![Part::Text {
                        text: format!("message {i}: {}", "lorem ipsum \"quoted\"\n".repeat(20)),
                    }]
                };
                Message::new(if i % 2 == 0 { Role::User } else { Role::Assistant }, parts)
            })
            .collect()
    }

    #[test]
    fn an_extraction_reads_in_halves_like_serde_reads_it_whole() {
        let original = extracted(messages());
        let text = serde_json::to_string(&original).unwrap();
        assert!(text.len() > PARALLEL_FROM);
        let halves = read_in_halves(&text).expect("the serde layout reads in halves");
        assert_eq!(halves, original);
        assert_eq!(decode_extracted(&text).unwrap(), original);
    }

    /// The first boundary-looking text after the middle is inside a tool input: that half does
    /// not balance, so the text is read the plain way, and reads the same.
    #[test]
    fn a_split_inside_a_tool_input_falls_back_to_the_plain_read() {
        let call = Message::new(
            Role::Assistant,
            vec![Part::ToolCall {
                id: "call_1".into(),
                name: "send".into(),
                input: json!({"a_pad": "x".repeat(PARALLEL_FROM * 2),
                              "z_history": [{"role": "user"}, {"role": "assistant"}]}),
                tool: Default::default(),
            }],
        );
        let original = extracted(vec![call, Message::new(Role::User, vec![])]);
        let text = serde_json::to_string(&original).unwrap();
        let middle = text.len() / 2;
        let nested = text
            .find(r#"{"role":"user"},{"role":"assistant"}"#)
            .unwrap();
        let boundary = text.rfind(r#"},{"role":"user""#).unwrap();
        assert!(
            middle < nested && nested < boundary,
            "the nested look-alike comes first"
        );
        assert!(read_in_halves(&text).is_none());
        assert_eq!(decode_extracted(&text).unwrap(), original);
    }

    #[test]
    fn other_layouts_and_bad_text_read_the_plain_way() {
        let original = extracted(messages());
        let pretty = serde_json::to_string_pretty(&original).unwrap();
        assert!(read_in_halves(&pretty).is_none());
        assert_eq!(decode_extracted(&pretty).unwrap(), original);

        let text = serde_json::to_string(&original).unwrap();
        let broken = text.replacen(r#""role":"assistant""#, r#""role":"nobody""#, 1);
        let plain = serde_json::from_str::<Extracted>(&broken)
            .unwrap_err()
            .to_string();
        assert_eq!(decode_extracted(&broken).unwrap_err().to_string(), plain);

        let small = extracted(messages().into_iter().take(3).collect());
        let text = serde_json::to_string(&small).unwrap();
        assert_eq!(decode_extracted(&text).unwrap(), small);
    }
}
