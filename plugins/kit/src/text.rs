//! Words every writer puts down the same way: a conversation's title from its first prompt, and
//! a note standing for an attachment the target cannot hold.

use handoff_plugin_api::{Media, Message, Part, Role};

/// The first non-blank line the user wrote, cut to 80 characters.
pub fn first_user_line(messages: &[Message]) -> Option<String> {
    messages
        .iter()
        .filter(|m| m.role == Role::User)
        .flat_map(|m| &m.parts)
        .find_map(|p| match p {
            Part::Text { text } => text.lines().map(str::trim).find(|l| !l.is_empty()),
            _ => None,
        })
        .map(|line| line.chars().take(80).collect())
}

/// `[attachment: <name or path> (<media type>)]`.
pub fn media_note(media: &Media) -> String {
    let what = media
        .name
        .as_deref()
        .or(media.path.as_deref())
        .unwrap_or("inline data");
    format!("[attachment: {what} ({})]", media.media_type)
}

/// What a writer puts down for one part of a message (see [`route`]).
#[derive(Debug, PartialEq)]
pub enum Routed<'a> {
    /// A part of the agent's side: any part of an assistant message, and the tool calls and
    /// results a user message carries.
    Agent(&'a Part),
    /// A user (or developer) message's words: its texts, attachment notes and summaries, joined.
    UserText(String),
}

/// A message as the writers of turn-based stores take it, in order. A system message's text is
/// left out: it is the source agent's own prompt, not the conversation's.
pub fn route(message: &Message) -> Vec<Routed<'_>> {
    if message.role == Role::Assistant {
        return message.parts.iter().map(Routed::Agent).collect();
    }
    let mut routed = Vec::new();
    let mut texts = Vec::new();
    for part in &message.parts {
        match part {
            Part::Text { text } if !text.is_empty() => texts.push(text.clone()),
            Part::Image(media) | Part::File(media) => texts.push(media_note(media)),
            Part::Compaction { summary } => texts.push(summary.clone()),
            Part::ToolCall { .. } | Part::ToolResult { .. } => routed.push(Routed::Agent(part)),
            _ => {}
        }
    }
    if message.role != Role::System && !texts.is_empty() {
        routed.push(Routed::UserText(texts.join("\n\n")));
    }
    routed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_the_first_line_the_user_wrote() {
        let messages = vec![
            Message::new(Role::Assistant, vec![Part::Text { text: "hi".into() }]),
            Message::new(
                Role::User,
                vec![Part::Text {
                    text: "\n  fix the build  \nplease".into(),
                }],
            ),
        ];
        assert_eq!(first_user_line(&messages).as_deref(), Some("fix the build"));
        let media = Media {
            media_type: "image/png".into(),
            data_base64: None,
            path: Some("/a.png".into()),
            name: None,
        };
        assert_eq!(media_note(&media), "[attachment: /a.png (image/png)]");
    }

    #[test]
    fn user_words_are_joined_after_the_calls_and_a_system_prompt_is_left_out() {
        let result = Part::ToolResult {
            call_id: "c".into(),
            output: "ok".into(),
            images: vec![],
            is_error: false,
        };
        let user = Message::new(
            Role::User,
            vec![
                Part::Text { text: "a".into() },
                result.clone(),
                Part::Compaction {
                    summary: "b".into(),
                },
            ],
        );
        assert_eq!(
            route(&user),
            [Routed::Agent(&result), Routed::UserText("a\n\nb".into())]
        );
        let system = Message::new(Role::System, vec![Part::Text { text: "p".into() }]);
        assert!(route(&system).is_empty());
        let assistant = Message::new(Role::Assistant, vec![Part::Text { text: "x".into() }]);
        assert_eq!(route(&assistant), [Routed::Agent(&assistant.parts[0])]);
    }
}
