//! Every sentence the result page shows, in each language, the script's included: the page
//! hands those to `result.js` in `data-` attributes. The JSON API stays English.

use kit::language::Language;

use crate::Scores;

/// One language's sentences.
pub struct Text {
    pub results: &'static str,
    pub no_votes: &'static str,
    pub one_vote: &'static str,
    /// `{n}` is the number of votes.
    pub votes: &'static str,
    pub stale: &'static str,
    pub not_live: &'static str,
    pub connecting: &'static str,
    pub live: &'static str,
    pub reconnecting: &'static str,
    /// What the indicator says instead of "Live" while the scores shown are stale.
    pub waiting: &'static str,
}

impl Text {
    /// "No votes yet", "1 vote", "3 votes".
    pub fn total(&self, scores: Scores) -> String {
        match scores.total() {
            0 => self.no_votes.to_owned(),
            1 => self.one_vote.to_owned(),
            n => self.votes.replace("{n}", &n.to_string()),
        }
    }
}

pub fn text(language: Language) -> &'static Text {
    language.pick(&ENGLISH, &SPANISH)
}

const ENGLISH: Text = Text {
    results: "results",
    no_votes: "No votes yet",
    one_vote: "1 vote",
    votes: "{n} votes",
    stale: "The database cannot be reached: these may not be the latest results.",
    not_live: "Not live: reload the page for new results",
    connecting: "Connecting…",
    live: "Live",
    reconnecting: "Reconnecting…",
    waiting: "Waiting for the database…",
};

const SPANISH: Text = Text {
    results: "resultados",
    no_votes: "Todavía no hay votos",
    one_vote: "1 voto",
    votes: "{n} votos",
    stale: "No se puede acceder a la base de datos: puede que estos no sean los resultados más recientes.",
    not_live: "Sin actualización en vivo: recarga la página para ver nuevos resultados",
    connecting: "Conectando…",
    live: "En vivo",
    reconnecting: "Reconectando…",
    waiting: "Esperando a la base de datos…",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_read_naturally_in_both_languages() {
        let english = text(Language::English);
        let spanish = text(Language::Spanish);
        assert_eq!(english.total(Scores { a: 0, b: 0 }), "No votes yet");
        assert_eq!(english.total(Scores { a: 0, b: 1 }), "1 vote");
        assert_eq!(english.total(Scores { a: 2, b: 1 }), "3 votes");
        assert_eq!(spanish.total(Scores { a: 0, b: 0 }), "Todavía no hay votos");
        assert_eq!(spanish.total(Scores { a: 1, b: 0 }), "1 voto");
        assert_eq!(spanish.total(Scores { a: 2, b: 1 }), "3 votos");
    }
}
