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
}
