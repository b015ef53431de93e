//! What the user's OpenCode configuration says about models: which ones it knows, and its default.
//! A resumed session whose model OpenCode does not know fails (`ProviderModelNotFoundError`), so
//! the writer keeps a source model only when it is known here.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

use crate::app::App;
use crate::paths;

/// `providerID` and `modelID` of a model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ModelRef {
    pub provider: String,
    pub model: String,
}

impl ModelRef {
    /// Parses `provider/model` (the model id may itself hold slashes).
    pub fn parse(text: &str) -> Option<Self> {
        let (provider, model) = text.split_once('/')?;
        (!provider.is_empty() && !model.is_empty()).then(|| Self {
            provider: provider.to_owned(),
            model: model.to_owned(),
        })
    }

    #[cfg(test)]
    pub fn display(&self) -> String {
        format!("{}/{}", self.provider, self.model)
    }
}

#[derive(Debug, Default)]
pub struct ModelKnowledge {
    known: BTreeSet<ModelRef>,
    /// The config's `model`, else the model the user last picked in the TUI.
    default: Option<ModelRef>,
}

impl ModelKnowledge {
    /// Reads the global config, `<PREFIX>_CONFIG`, `<PREFIX>_CONFIG_CONTENT` and the project's
    /// config files in `cwd`, later ones overriding the default model.
    pub fn load(app: &App, cwd: &Path) -> Self {
        let global = paths::config_dir(app);
        let both = |dir: &Path, name: &str| {
            [".json", ".jsonc"].map(|ext| dir.join(format!("{name}{ext}")))
        };
        let mut files = vec![global.join("config.json")];
        for name in app.config_names {
            files.extend(both(&global, name));
        }
        if let Some(custom) = app.env("CONFIG") {
            files.push(custom.into());
        }
        for name in app.config_names {
            files.extend(both(cwd, name));
        }
        for dir in app.project_dirs {
            for name in app.config_names {
                files.extend(both(&cwd.join(dir), name));
            }
        }

        let mut configs: Vec<Value> = files
            .iter()
            .filter_map(|file| std::fs::read_to_string(file).ok())
            .filter_map(|text| parse_jsonc(&text))
            .collect();
        if let Some(inline) = app
            .env("CONFIG_CONTENT")
            .and_then(|t| parse_jsonc(&t.to_string_lossy()))
        {
            configs.push(inline);
        }
        let mut knowledge = Self::from_configs(&configs);
        if knowledge.default.is_none() {
            knowledge.default = last_picked_model(&paths::state_dir(app));
        }
        knowledge
    }

    pub fn from_configs(configs: &[Value]) -> Self {
        let mut knowledge = Self::default();
        for config in configs {
            if let Some(providers) = config.get("provider").and_then(Value::as_object) {
                for (provider, body) in providers {
                    let models = body.get("models").and_then(Value::as_object);
                    for model in models.into_iter().flat_map(|m| m.keys()) {
                        knowledge.known.insert(ModelRef {
                            provider: provider.clone(),
                            model: model.clone(),
                        });
                    }
                }
            }
            for key in ["model", "small_model"] {
                if let Some(model) = config
                    .get(key)
                    .and_then(Value::as_str)
                    .and_then(ModelRef::parse)
                {
                    knowledge.known.insert(model.clone());
                    if key == "model" {
                        knowledge.default = Some(model);
                    }
                }
            }
        }
        knowledge
    }

    /// The model to write for a source model: the source's own when OpenCode knows it (by
    /// `provider/model`, or a bare model id one configured provider offers), else the default.
    pub fn choose(&self, source: Option<&str>) -> Option<ModelRef> {
        source
            .and_then(|source| self.known_model(source))
            .or_else(|| self.default.clone())
    }

    fn known_model(&self, source: &str) -> Option<ModelRef> {
        if let Some(model) = ModelRef::parse(source).filter(|m| self.known.contains(m)) {
            return Some(model);
        }
        let mut offering = self.known.iter().filter(|m| m.model == source);
        match (offering.next(), offering.next()) {
            (Some(only), None) => Some(only.clone()),
            _ => None,
        }
    }
}

/// The TUI's most recent model, `state/model.json` `recent[0]`.
fn last_picked_model(state_dir: &Path) -> Option<ModelRef> {
    let text = std::fs::read_to_string(state_dir.join("model.json")).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    let recent = value.get("recent")?.get(0)?;
    Some(ModelRef {
        provider: recent.get("providerID")?.as_str()?.to_owned(),
        model: recent.get("modelID")?.as_str()?.to_owned(),
    })
}

/// Parses JSON with comments and trailing commas (OpenCode's config format).
pub fn parse_jsonc(text: &str) -> Option<Value> {
    serde_json::from_str(&strip_jsonc(text)).ok()
}

fn strip_jsonc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for next in chars.by_ref() {
                    if previous == '*' && next == '/' {
                        break;
                    }
                    previous = next;
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    remove_trailing_commas(&out)
}

fn remove_trailing_commas(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        if c == ',' {
            let next = chars[i + 1..].iter().find(|n| !n.is_whitespace());
            if matches!(next, Some('}' | ']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jsonc_comments_and_trailing_commas_are_accepted() {
        let text = r#"{
          // the default
          "model": "mock/mock-model", /* inline */
          "url": "http://x//y", "s": "a\"//b",
          "provider": {"mock": {"models": {"mock-model": {},},},},
        }"#;
        let value = parse_jsonc(text).unwrap();
        assert_eq!(value["model"], "mock/mock-model");
        assert_eq!(value["url"], "http://x//y");
        assert_eq!(value["s"], "a\"//b");
        assert!(value["provider"]["mock"]["models"]["mock-model"].is_object());
    }

    #[test]
    fn a_known_model_is_kept_and_an_unknown_one_falls_back_to_the_default() {
        let config = json!({
            "model": "mock/mock-model",
            "provider": {"anthropic": {"models": {"claude-sonnet-4-5": {}}}, "mock": {"models": {"mock-model": {}}}}
        });
        let knowledge = ModelKnowledge::from_configs(&[config]);
        let mock = ModelRef::parse("mock/mock-model").unwrap();
        assert_eq!(
            knowledge.choose(Some("mock/mock-model")),
            Some(mock.clone())
        );
        assert_eq!(
            knowledge
                .choose(Some("claude-sonnet-4-5"))
                .unwrap()
                .display(),
            "anthropic/claude-sonnet-4-5"
        );
        assert_eq!(knowledge.choose(Some("gpt-5-codex")), Some(mock.clone()));
        assert_eq!(knowledge.choose(Some("openai/gpt-5")), Some(mock.clone()));
        assert_eq!(knowledge.choose(None), Some(mock));
        assert_eq!(ModelKnowledge::default().choose(Some("openai/gpt-5")), None);
    }

    #[test]
    fn the_tui_last_model_is_the_fallback_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("model.json"),
            r#"{"recent":[{"providerID":"p","modelID":"m"}],"favorite":[]}"#,
        )
        .unwrap();
        assert_eq!(last_picked_model(dir.path()).unwrap().display(), "p/m");
        assert_eq!(last_picked_model(&dir.path().join("none")), None);
    }
}
