//! `--format html`: one self-contained page. A header (agent, project, times, counts), contents
//! by turn, text as Markdown with its code blocks highlighted, each tool call folded with its
//! arguments and output, images inline as `data:` URIs.
//!
//! Every text of the transcript is escaped, raw HTML in Markdown included; links keep only web
//! and mail addresses, and a Markdown image becomes a link (the page loads nothing). The
//! Content-Security-Policy allows no network and only the page's own script, by its hash.

use base64::Engine as _;
use handoff_plugin_api::{Media, Part, Transcript};
use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::sync::OnceLock;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use super::{
    Output, ShownMessage, View, call_gist, clock, date_time, kind_name, media_label, plural,
    role_label, span,
};

const STYLE: &str = include_str!("page.css");
/// Expands or folds every call; then marks the page as rendered (the browser test reads it).
const SCRIPT: &str = include_str!("page.js");
const CLASSES: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };
/// Code longer than this is shown unhighlighted: highlighting is for reading, not for a
/// megabyte of generated JSON.
const HIGHLIGHT_BYTES: usize = 64 * 1024;

pub fn html(transcript: &Transcript, sidechains: usize) -> String {
    let view = View::new(transcript);
    let mut page = Page::default();
    let mut body = String::new();
    page.header(&mut body, &view, sidechains);
    page.contents(&mut body, &view);
    body.push_str("<main>\n");
    for (index, shown) in view.messages.iter().enumerate() {
        page.message(&mut body, &view, index, shown);
    }
    body.push_str("</main>\n");

    let title = transcript
        .session
        .title
        .as_deref()
        .unwrap_or("Conversation");
    let script_hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT));
    let mut out = String::with_capacity(body.len() + STYLE.len() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'\">"
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"generator\" content=\"handoff\">\n");
    let _ = writeln!(
        out,
        "<title>{}</title>",
        escape(&crate::ui::one_line(title, 120))
    );
    out.push_str("<style>\n");
    out.push_str(STYLE);
    if page.highlighted {
        out.push_str(&highlight_css());
    }
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str(&body);
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

#[derive(Default)]
struct Page {
    /// Whether any code was highlighted, so the page needs the theme's CSS.
    highlighted: bool,
}

impl Page {
    fn header(&mut self, out: &mut String, view: &View, sidechains: usize) {
        let session = &view.transcript.session;
        let title = session.title.as_deref().unwrap_or("Conversation");
        let _ = writeln!(
            out,
            "<header>\n<h1>{}</h1>\n<dl class=\"meta\">",
            escape(&crate::ui::one_line(title, 200))
        );
        let mut row = |label: &str, value: &str| {
            let _ = writeln!(out, "<dt>{label}</dt><dd>{}</dd>", escape(value));
        };
        row("Agent", &session.agent);
        row("Session", &session.id);
        if let Some(cwd) = &session.cwd {
            row("Project", cwd);
        }
        if let Some(branch) = &session.git_branch {
            row("Branch", branch);
        }
        if let Some(model) = &session.model {
            row("Model", model);
        }
        if let Some(span) = span(view.transcript) {
            row("Time", &span);
        }
        row("Counts", &view.counts());
        if sidechains > 0 {
            let note = format!(
                "{} (subagent conversations), not shown",
                plural(sidechains, "sidechain")
            );
            row("Sidechains", &note);
        }
        out.push_str("</dl>\n<p class=\"controls\"><button type=\"button\" data-open=\"true\">Expand all</button> \
             <button type=\"button\" data-open=\"false\">Collapse all</button></p>\n</header>\n");
    }

    /// The contents: each turn by the first line of what the user said.
    fn contents(&mut self, out: &mut String, view: &View) {
        let turns: Vec<(usize, &ShownMessage)> = view
            .messages
            .iter()
            .filter_map(|shown| shown.turn.map(|turn| (turn, shown)))
            .collect();
        if turns.is_empty() {
            return;
        }
        out.push_str("<nav class=\"contents\">\n<h2>Turns</h2>\n<ol>\n");
        for (turn, shown) in turns {
            let said = shown
                .parts
                .iter()
                .find_map(|part| match part {
                    Part::Text { text } => Some(crate::ui::one_line(text, 100)),
                    _ => None,
                })
                .unwrap_or_else(|| String::from("(no text)"));
            let time = shown
                .message
                .timestamp_ms
                .map(|ms| format!(" <time>{}</time>", clock(ms)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<li><a href=\"#turn-{turn}\">{}</a>{time}</li>",
                escape(&said)
            );
        }
        out.push_str("</ol>\n</nav>\n");
    }

    fn message(&mut self, out: &mut String, view: &View, index: usize, shown: &ShownMessage) {
        let message = shown.message;
        let role = role_label(message.role).to_ascii_lowercase();
        let id = match shown.turn {
            Some(turn) => format!("turn-{turn}"),
            None => format!("message-{}", index + 1),
        };
        let _ = write!(
            out,
            "<section class=\"message {role}\" id=\"{id}\">\n<h2>{}",
            role_label(message.role)
        );
        if let Some(ms) = message.timestamp_ms {
            let _ = write!(
                out,
                " <time title=\"{}\">{}</time>",
                escape(&date_time(ms)),
                clock(ms)
            );
        }
        if let Some(model) = &message.model {
            let _ = write!(out, " <span class=\"model\">{}</span>", escape(model));
        }
        out.push_str("</h2>\n");
        for part in &shown.parts {
            self.part(out, view, part);
        }
        out.push_str("</section>\n");
    }

    fn part(&mut self, out: &mut String, view: &View, part: &Part) {
        match part {
            Part::Text { text } => {
                out.push_str("<div class=\"text\">\n");
                self.markdown(out, text);
                out.push_str("</div>\n");
            }
            Part::Reasoning { text, .. } => {
                out.push_str("<details class=\"thinking\"><summary>Thinking</summary>\n<div class=\"text\">\n");
                self.markdown(out, text);
                out.push_str("</div>\n</details>\n");
            }
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                let output = view.output(id);
                let _ = write!(
                    out,
                    "<details class=\"tool\"><summary><span class=\"name\">{}</span>",
                    escape(name)
                );
                if let Some(kind) = kind_name(tool) {
                    let _ = write!(out, " <span class=\"kind\">{}</span>", escape(&kind));
                }
                if let Some(gist) = call_gist(input, tool) {
                    let _ = write!(out, " <code class=\"gist\">{}</code>", escape(&gist));
                }
                if output.is_some_and(|o| o.is_error) {
                    out.push_str(" <span class=\"error-mark\">error</span>");
                }
                out.push_str("</summary>\n");
                let arguments = serde_json::to_string_pretty(input).unwrap_or_default();
                self.code(out, "json", &arguments);
                match output {
                    Some(output) => self.output(out, None, output),
                    None => out.push_str("<p class=\"note\">No output recorded.</p>\n"),
                }
                out.push_str("</details>\n");
            }
            Part::ToolResult {
                call_id,
                output,
                images,
                is_error,
            } => {
                let output = Output {
                    text: output,
                    images,
                    is_error: *is_error,
                };
                self.output(out, Some(call_id), &output);
            }
            Part::Image(image) => media(out, "image", image),
            Part::File(file) => media(out, "file", file),
            Part::Compaction { summary } => {
                out.push_str("<details class=\"compaction\" open><summary>Compacted: the agent summarised the conversation so far</summary>\n<div class=\"text\">\n");
                self.markdown(out, summary);
                out.push_str("</div>\n</details>\n");
            }
        }
    }

    /// A call's output, folded apart from its arguments; `orphan_of`: the call it answers is
    /// not in the transcript, so it stands on its own.
    fn output(&mut self, out: &mut String, orphan_of: Option<&str>, output: &Output) {
        let class = if output.is_error {
            "output error"
        } else {
            "output"
        };
        let lines = output.text.trim_end().lines().count();
        let mut label = String::from(if output.is_error { "Error" } else { "Output" });
        if let Some(call_id) = orphan_of {
            label = format!("{label} of call {call_id}");
        }
        let _ = writeln!(
            out,
            "<details class=\"{class}\" open><summary>{} ({})</summary>",
            escape(&label),
            plural(lines, "line")
        );
        if !output.text.trim().is_empty() {
            let _ = writeln!(
                out,
                "<pre><code>{}</code></pre>",
                escape(output.text.trim_end())
            );
        }
        for image in output.images {
            media(out, "image", image);
        }
        out.push_str("</details>\n");
    }

    /// Markdown as HTML: raw HTML shown as text, links to anything but web and mail addresses
    /// and every image turned into plain links, fenced code highlighted.
    fn markdown(&mut self, out: &mut String, text: &str) {
        let options =
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
        let mut events = Vec::new();
        let mut code: Option<(String, String)> = None;
        for event in Parser::new_ext(text, options) {
            if let Some((lang, body)) = &mut code {
                match event {
                    Event::Text(text) => body.push_str(&text),
                    Event::End(TagEnd::CodeBlock) => {
                        let mut html = String::new();
                        self.code(&mut html, lang, body);
                        events.push(Event::Html(html.into()));
                        code = None;
                    }
                    _ => {}
                }
                continue;
            }
            events.push(match event {
                Event::Start(Tag::CodeBlock(kind)) => {
                    let lang = match kind {
                        CodeBlockKind::Fenced(info) => info
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_owned(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    code = Some((lang, String::new()));
                    continue;
                }
                Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
                | Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => Event::Start(Tag::Link {
                    link_type,
                    dest_url: if is_safe_link(&dest_url) {
                        dest_url
                    } else {
                        CowStr::from("#")
                    },
                    title,
                    id,
                }),
                Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
                other => other,
            });
        }
        pulldown_cmark::html::push_html(out, events.into_iter());
    }

    /// A code block, highlighted when its language is known and it is not too long.
    fn code(&mut self, out: &mut String, lang: &str, code: &str) {
        let highlighted = (!lang.is_empty() && code.len() <= HIGHLIGHT_BYTES)
            .then(|| highlight(lang, code))
            .flatten();
        out.push_str("<pre class=\"code\"><code>");
        match highlighted {
            Some(html) => {
                self.highlighted = true;
                out.push_str(&html);
            }
            None => out.push_str(&escape(code)),
        }
        out.push_str("</code></pre>\n");
    }
}

/// An image inline when its bytes are there, otherwise (and for files) its name.
fn media(out: &mut String, what: &str, media: &Media) {
    let label = escape(&media_label(media));
    let data = media.data_base64.as_deref().filter(|data| {
        is_image_type(&media.media_type)
            && data
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    });
    match data {
        Some(data) => {
            let _ = writeln!(
                out,
                "<figure><img src=\"data:{};base64,{data}\" alt=\"{label}\"><figcaption>{label}</figcaption></figure>",
                media.media_type
            );
        }
        None => {
            let _ = writeln!(out, "<p class=\"media\">[{what}: {label}]</p>");
        }
    }
}

/// `image/png` and the like: letters, digits and `.+-` only, so it can sit in an attribute.
fn is_image_type(media_type: &str) -> bool {
    media_type.strip_prefix("image/").is_some_and(|sub| {
        !sub.is_empty()
            && sub
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".+-".contains(&b))
    })
}

/// Web and mail addresses, and addresses with no scheme (fragments, relative paths).
fn is_safe_link(url: &str) -> bool {
    let url = url.trim_start();
    let scheme_end = url.find([':', '/', '?', '#']);
    match scheme_end {
        Some(end) if url.get(end..end + 1) == Some(":") => {
            let scheme = url.get(..end).unwrap_or_default().to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
        _ => true,
    }
}

fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// `code` as classed spans, or `None` for a language the bundled syntaxes do not know.
fn highlight(lang: &str, code: &str) -> Option<String> {
    let syntaxes = syntaxes();
    let syntax = syntaxes.find_syntax_by_token(lang)?;
    let mut html = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes, CLASSES);
    for line in LinesWithEndings::from(code) {
        html.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(html.finalize())
}

fn highlight_css() -> String {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    themes
        .themes
        .get("InspiredGitHub")
        .and_then(|theme| css_for_theme_with_class_style(theme, CLASSES).ok())
        .unwrap_or_default()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::test_transcript::{text, transcript};

    #[test]
    fn nothing_of_the_transcript_becomes_markup() {
        let html_block = "<script>alert(1)</script> <img src=x onerror=alert(2)>";
        let markdown = "Inline <img src=x onerror=alert(7)> \"quoted\" [click](javascript:alert(3)) \
                        ![pixel](https://tracker.example/p.png)";
        let mut source = transcript(vec![
            vec![text(html_block), text(markdown)],
            vec![Part::ToolCall {
                id: "c1".into(),
                name: "<b>tool</b>".into(),
                input: serde_json::json!({"command": "</code></pre><script>alert(4)</script>"}),
                tool: Default::default(),
            }],
            vec![Part::ToolResult {
                call_id: "c1".into(),
                output: "</pre><script>alert(5)</script>".into(),
                images: vec![],
                is_error: false,
            }],
            vec![Part::Image(Media {
                media_type: "image/png\" onload=\"alert(6)".into(),
                data_base64: Some("iVBO\"><script>".into()),
                path: None,
                name: Some("<x>".into()),
            })],
        ]);
        source.session.title = Some("<title-tag>".into());
        let page = html(&source, 0);
        assert_eq!(
            page.matches("<script").count(),
            1,
            "only the page's own: {page}"
        );
        for injected in [
            "<img src=x",
            "<b>tool",
            "<x>",
            "<title-tag>",
            "onload=\"",
            "javascript:",
            "src=\"https://tracker",
        ] {
            assert!(!page.contains(injected), "{injected} in {page}");
        }
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(
            page.contains("<a href=\"https://tracker.example/p.png\">pixel</a>"),
            "{page}"
        );
    }

    #[test]
    fn fenced_code_is_highlighted_and_images_are_inline() {
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        let source = transcript(vec![
            vec![
                text("```rust\nfn main() {}\n```"),
                Part::Image(Media {
                    media_type: "image/png".into(),
                    data_base64: Some(png.into()),
                    path: None,
                    name: Some("dot.png".into()),
                }),
            ],
            vec![text("```nolang\n<b>\n```")],
        ]);
        let page = html(&source, 0);
        assert!(
            page.contains("<span class=\"hl-source hl-rust\">"),
            "{page}"
        );
        assert!(page.contains(".hl-"), "the theme's CSS comes with it");
        assert!(
            page.contains(&format!(
                "<img src=\"data:image/png;base64,{png}\" alt=\"dot.png"
            )),
            "{page}"
        );
        assert!(
            page.contains("<pre class=\"code\"><code>&lt;b&gt;\n</code></pre>"),
            "{page}"
        );
    }

    #[test]
    fn the_policy_allows_the_script_by_its_hash() {
        let page = html(&transcript(vec![vec![text("hi")]]), 0);
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT));
        assert!(page.contains(&format!("script-src 'sha256-{hash}'")));
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(
            !page.contains("http://") && !page.contains("https://"),
            "{page}"
        );
    }

    #[test]
    fn only_web_and_mail_links_are_kept() {
        for safe in [
            "https://a.b",
            "HTTP://a",
            "mailto:x@y",
            "#turn-1",
            "docs/a.md",
            "a?b:c",
        ] {
            assert!(is_safe_link(safe), "{safe}");
        }
        for unsafe_link in [
            "javascript:alert(1)",
            " JavaScript:x",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc",
        ] {
            assert!(!is_safe_link(unsafe_link), "{unsafe_link}");
        }
    }
}
