//! Every sentence the vote app's pages show, in each language. The labels are `OPTION_A` and
//! `OPTION_B` as given; the plain-text answer to curl stays English (see `routes::cast`).

use kit::language::Language;

/// One language's sentences.
pub struct Text {
    pub choose_one: &'static str,
    /// Around the label in "Your vote for Cats is recorded."
    pub recorded_before: &'static str,
    pub recorded_after: &'static str,
    pub tip: &'static str,
    pub see_results: &'static str,
    pub processed_by: &'static str,
    pub back_to_vote: &'static str,
    pub bad_choice: Problem,
    pub too_large: Problem,
    pub cross_site: Problem,
    /// Only a vote that was never sent is known not to be recorded. A Redis error or timeout
    /// may come after Redis ran the command: then the vote is in the queue.
    pub unconfirmed: Problem,
    pub not_sent: Problem,
}

/// An error page's heading and sentence.
#[derive(Clone, Copy)]
pub struct Problem {
    pub title: &'static str,
    pub sentence: &'static str,
}

pub fn text(language: Language) -> &'static Text {
    language.pick(&ENGLISH, &SPANISH)
}

const ENGLISH: Text = Text {
    choose_one: "Choose one",
    recorded_before: "Your vote for ",
    recorded_after: " is recorded.",
    tip: "(Tip: you can change your vote)",
    see_results: "See the results",
    processed_by: "Processed by container ID",
    back_to_vote: "Back to the vote",
    bad_choice: Problem {
        title: "Please choose an option",
        sentence: "The form must send vote=a or vote=b. Nothing was recorded.",
    },
    too_large: Problem {
        title: "That form is too large",
        sentence: "A vote is a few bytes: vote=a or vote=b. Nothing was recorded.",
    },
    cross_site: Problem {
        title: "Vote refused",
        sentence: "This vote was sent by a form on another site, so it was not recorded. \
                   To vote, use the ballot on this site.",
    },
    unconfirmed: Problem {
        title: "Your vote may not have been recorded",
        sentence: "The vote queue did not confirm your vote in time, so it may not have been \
                   recorded. Voting again is safe: only your last vote counts.",
    },
    not_sent: Problem {
        title: "Your vote was not recorded",
        sentence: "The vote queue is too slow right now, so your vote was not sent. \
                   Please try again in a moment.",
    },
};

const SPANISH: Text = Text {
    choose_one: "Elige una opción",
    recorded_before: "Tu voto por ",
    recorded_after: " quedó registrado.",
    tip: "(Consejo: puedes cambiar tu voto)",
    see_results: "Ver los resultados",
    processed_by: "Procesado por el contenedor con ID",
    back_to_vote: "Volver a la votación",
    bad_choice: Problem {
        title: "Elige una opción",
        sentence: "El formulario debe enviar vote=a o vote=b. No se registró nada.",
    },
    too_large: Problem {
        title: "El formulario es demasiado grande",
        sentence: "Un voto ocupa unos pocos bytes: vote=a o vote=b. No se registró nada.",
    },
    cross_site: Problem {
        title: "Voto rechazado",
        sentence: "Este voto lo envió un formulario de otro sitio, así que no se registró. \
                   Para votar, usa la boleta de este sitio.",
    },
    unconfirmed: Problem {
        title: "Es posible que tu voto no se haya registrado",
        sentence: "La cola de votos no confirmó tu voto a tiempo, así que es posible que no se \
                   haya registrado. Puedes volver a votar sin problema: solo cuenta tu último voto.",
    },
    not_sent: Problem {
        title: "Tu voto no se registró",
        sentence: "La cola de votos está demasiado lenta en este momento, así que tu voto no se \
                   envió. Vuelve a intentarlo en un momento.",
    },
};
