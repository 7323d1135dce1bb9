//! The language a page is shown in: Spanish or English, from the browser's `Accept-Language`,
//! unless `LAB_LANGUAGE` fixes one for the whole lab (a classroom whose browsers say otherwise).
//! Plain-text answers never change: they are the wire contract.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use crate::config::{ConfigError, Env};

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Language {
    #[default]
    English,
    Spanish,
}

impl Language {
    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
        }
    }

    /// What is written for this language: `english` or `spanish`.
    pub fn pick<T>(self, english: T, spanish: T) -> T {
        match self {
            Language::English => english,
            Language::Spanish => spanish,
        }
    }

    fn from_tag(tag: &str) -> Option<Self> {
        // `es`, `es-AR`, `es-419`: any Spanish; `en-GB` any English. A locale as `LANG` holds
        // one (`es_AR`, `es_ES.UTF-8`, `ca_ES@valencia`): its language is what comes before the
        // `_`, and the encoding and modifier say nothing about it.
        let primary = tag.split(['-', '_', '.', '@']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("es") {
            Some(Language::Spanish)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Language::English)
        } else {
            None
        }
    }

    /// The browser's preferred language among ours, by q-value (the first listed wins a tie);
    /// English when it names neither, or sends no header.
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        let mut best: Option<(f32, Language)> = None;
        for item in accept_language.unwrap_or_default().split(',') {
            let mut parts = item.split(';');
            let Some(language) = Language::from_tag(parts.next().unwrap_or_default().trim()) else {
                continue;
            };
            let q = parts
                .find_map(|param| param.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .unwrap_or(0.0);
            if q > 0.0 && best.is_none_or(|(best_q, _)| q > best_q) {
                best = Some((q, language));
            }
        }
        best.map(|(_, language)| language).unwrap_or_default()
    }
}

/// How a service picks each page's language: `LAB_LANGUAGE` when set (`es` or `en`, or a locale
/// such as `es_AR` or `es_ES.UTF-8`: what `LANG` holds on students' machines), else the
/// request's `Accept-Language`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LanguageChoice {
    fixed: Option<Language>,
}

impl LanguageChoice {
    pub const VAR: &str = "LAB_LANGUAGE";

    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let fixed = match env.get(Self::VAR) {
            None => None,
            Some(value) => Some(Language::from_tag(value.trim()).ok_or_else(|| {
                ConfigError::new(
                    Self::VAR,
                    value,
                    "must be Spanish or English: es or en (es_AR, es-MX, es_ES.UTF-8 work too)",
                )
            })?),
        };
        Ok(Self { fixed })
    }

    /// Every page in `language`, whatever browsers ask for.
    pub fn fixed(language: Language) -> Self {
        Self {
            fixed: Some(language),
        }
    }

    /// The language of the page answering a request with these headers.
    pub fn for_request(self, headers: &HeaderMap) -> Language {
        self.fixed.unwrap_or_else(|| {
            Language::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|value| value.to_str().ok()),
            )
        })
    }

    /// Marks a page whose language came from `Accept-Language`, so caches keep one per language.
    pub fn mark(self, mut response: Response) -> Response {
        if self.fixed.is_none() {
            response
                .headers_mut()
                .append(header::VARY, HeaderValue::from_static("accept-language"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_when_the_browser_prefers_it_english_otherwise() {
        use Language::{English, Spanish};
        for (header, want) in [
            (Some("es"), Spanish),
            (Some("es-AR,es;q=0.9,en;q=0.8"), Spanish),
            (Some("es-AR;q=0.9"), Spanish),
            (Some("en-US,en;q=0.9,es;q=0.8"), English),
            (Some("fr-FR,fr;q=0.9,es;q=0.5"), Spanish),
            (Some("fr"), English),
            (Some("es;q=0"), English),
            (Some("en;q=0.5, ES-mx;q=0.7"), Spanish),
            (Some("es;q=x"), English),
            (Some(""), English),
            (None, English),
        ] {
            assert_eq!(Language::negotiate(header), want, "{header:?}");
        }
    }

    #[test]
    fn lab_language_fixes_the_language_and_a_bad_value_is_named() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        let choice = LanguageChoice::from_env(&Env::from_pairs([("LAB_LANGUAGE", "es")])).unwrap();
        assert_eq!(choice.for_request(&headers), Language::Spanish);
        let choice = LanguageChoice::from_env(&Env::default()).unwrap();
        assert_eq!(choice.for_request(&headers), Language::English);
        let err = LanguageChoice::from_env(&Env::from_pairs([("LAB_LANGUAGE", "fr")])).unwrap_err();
        assert_eq!(err.var, "LAB_LANGUAGE");
    }

    #[test]
    fn lab_language_takes_a_locale_as_lang_holds_it() {
        use Language::{English, Spanish};
        for (value, want) in [
            ("es_AR", Spanish),
            ("es-MX", Spanish),
            ("es_ES.UTF-8", Spanish),
            ("ES", Spanish),
            ("es_ES@euro", Spanish),
            (" en_US.UTF-8 ", English),
            ("en-GB", English),
        ] {
            let choice = LanguageChoice::from_env(&Env::from_pairs([("LAB_LANGUAGE", value)]))
                .unwrap_or_else(|err| panic!("{value:?}: {err}"));
            assert_eq!(choice, LanguageChoice::fixed(want), "{value:?}");
        }
        for value in ["fr_FR.UTF-8", "C.UTF-8", "spanish", "e"] {
            let err = LanguageChoice::from_env(&Env::from_pairs([("LAB_LANGUAGE", value)]))
                .expect_err(value);
            assert_eq!(err.var, "LAB_LANGUAGE", "{value:?}");
        }
    }
}
