//! Messages that can never be applied, as stored in the list [`super::DEAD_LETTERS`].

/// How much of a message a dead letter keeps: enough to recognise it, not a megabyte.
pub const SHOWN_BYTES: usize = 200;

/// A message set aside, with why. Stored as `{"reason": …, "bytes": N, "message": …}`, where
/// `message` is its first [`SHOWN_BYTES`] bytes with anything but printable ASCII shown as `?`;
/// the take script ([`super::scripts::TAKE`]) writes the same shape for the messages it sets
/// aside itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub reason: String,
    pub message: Vec<u8>,
}

impl DeadLetter {
    pub fn to_json(&self) -> String {
        let shown: String = self.message[..self.message.len().min(SHOWN_BYTES)]
            .iter()
            .map(|&byte| {
                if byte == b' ' || byte.is_ascii_graphic() {
                    char::from(byte)
                } else {
                    '?'
                }
            })
            .collect();
        serde_json::json!({
            "reason": self.reason,
            "message": shown,
            "bytes": self.message.len(),
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_bytes_and_hides_what_is_not_printable_ascii() {
        let mut message = "é\n{".as_bytes().to_vec();
        message.extend(std::iter::repeat_n(b'x', 1000));
        let letter = DeadLetter {
            reason: "why".to_owned(),
            message,
        };
        let json: serde_json::Value =
            serde_json::from_str(&letter.to_json()).expect("a dead letter is JSON");
        let shown = json["message"].as_str().expect("message");
        assert_eq!(shown.len(), SHOWN_BYTES);
        assert!(shown.starts_with("???{x"), "{shown}");
        assert_eq!(json["bytes"], 1004);
        assert_eq!(json["reason"], "why");
    }
}
