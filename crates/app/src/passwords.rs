//! argon2id password hashing. Hashing is CPU-heavy, so it runs on the blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;

#[derive(Clone, Debug)]
pub struct PasswordHasher {
    params: Params,
}

impl Default for PasswordHasher {
    /// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self::with_cost(19 * 1024, 2)
    }
}

impl PasswordHasher {
    /// A cheaper cost is only for tests; production uses [`Default`].
    pub fn with_cost(m_kib: u32, t: u32) -> Self {
        let params = Params::new(m_kib.max(8), t.max(1), 1, None).unwrap_or_default();
        Self { params }
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let params = self.params.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
        })
        .await?
    }

    /// Verifies with the parameters recorded in the hash itself, so raising the cost later does
    /// not lock anyone out.
    pub async fn verify(&self, password: &str, hash: &str) -> anyhow::Result<bool> {
        let password = password.to_owned();
        let hash = hash.to_owned();
        tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
            Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?
    }
}

/// How hard a password is to guess, as zxcvbn estimates it (0 = among the most common passwords,
/// 4 = very hard), with its advice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strength {
    pub score: u8,
    /// Why it is weak ("This is a top-100 common password."), if it is.
    pub warning: Option<String>,
    pub suggestions: Vec<String>,
}

/// The score a new password needs: 3 means zxcvbn estimates at least 10^8 guesses, out of reach
/// of online guessing and of the common-password and dictionary lists it ships with.
pub const MIN_SCORE: u8 = 3;

impl Strength {
    /// "weak", "fair", … for the score, as shown next to the field.
    pub fn label(&self) -> &'static str {
        match self.score {
            0 | 1 => "very weak",
            2 => "weak",
            3 => "strong",
            _ => "very strong",
        }
    }
}

/// Estimates a password's strength; `context` holds words an attacker would try first for this
/// account (the e-mail, the name, the organisation), which count as already guessed.
pub fn strength(password: &str, context: &[&str]) -> Strength {
    let words = context_words(context);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let est = zxcvbn::zxcvbn(password, &words);
    let (warning, suggestions) = est.feedback().map_or((None, vec![]), |f| {
        (
            f.warning().map(|w| w.to_string()),
            f.suggestions().iter().map(ToString::to_string).collect(),
        )
    });
    Strength {
        score: u8::from(est.score()),
        warning,
        suggestions,
    }
}

/// zxcvbn matches the context as whole words, so "Maria Lopez" would not catch "marialopez":
/// each input is also given as its parts (split at anything not a letter or digit) and those
/// parts run together.
fn context_words(context: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for input in context {
        let lower = input.to_lowercase();
        let (local, _) = lower.split_once('@').unwrap_or((&lower, ""));
        let parts: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| p.len() >= 3)
            .collect();
        out.push(lower.clone());
        out.push(local.chars().filter(|c| c.is_alphanumeric()).collect());
        out.push(parts.concat());
        out.extend(parts.iter().map(|p| p.to_string()));
    }
    out.retain(|w| w.len() >= 3);
    out.sort();
    out.dedup();
    out
}

/// The rules a new password must meet: 10 to 256 characters, and not easy to guess (not a common
/// password, a dictionary word with digits, a keyboard pattern or the account's own e-mail or
/// name). The message is shown next to the field and names the strength and what would help.
pub fn check_policy(password: &str, context: &[&str]) -> Result<Strength, String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(format!("use at least {MIN_LEN} characters"));
    }
    if n > MAX_LEN {
        return Err(format!("use at most {MAX_LEN} characters"));
    }
    let s = strength(password, context);
    if s.score < MIN_SCORE {
        let mut msg = format!(
            "this password is too easy to guess (strength: {}, {} of 4)",
            s.label(),
            s.score
        );
        if let Some(w) = &s.warning {
            msg.push_str(&format!(". {w}"));
        }
        for hint in &s.suggestions {
            msg.push_str(&format!(" {hint}"));
        }
        if s.warning.is_none() && s.suggestions.is_empty() {
            msg.push_str(". Add another word or two; uncommon words are better.");
        }
        return Err(msg);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let h = PasswordHasher::with_cost(64, 1);
        let stored = h.hash("correct horse battery").await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(h.verify("correct horse battery", &stored).await.unwrap());
        assert!(!h.verify("wrong horse battery", &stored).await.unwrap());
    }

    #[test]
    fn policy_names_the_problem() {
        assert!(check_policy("short", &[]).unwrap_err().contains("at least"));
        assert!(check_policy("correct horse battery", &[]).is_ok());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_length() {
        for p in ["password123", "qwertyuiop", "1234567890", "iloveyou12", "Password1!"] {
            let e = check_policy(p, &[]).unwrap_err();
            assert!(e.contains("too easy to guess"), "{p}: {e}");
        }
    }

    #[test]
    fn the_accounts_own_words_count_as_guessed() {
        let ctx = ["maria.lopez@acme-hiring.example", "Maria Lopez"];
        assert!(check_policy("marialopez2026", &ctx).is_err());
        assert!(check_policy("tundra velvet oboe kettle", &ctx).is_ok());
    }

    #[test]
    fn strength_is_labelled() {
        let weak = strength("password", &[]);
        assert_eq!(weak.score, 0);
        assert_eq!(weak.label(), "very weak");
        assert!(weak.warning.is_some());
        assert_eq!(strength("tundra velvet oboe kettle", &[]).label(), "very strong");
    }
}
