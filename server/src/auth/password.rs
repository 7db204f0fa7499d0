//! Password hashing with argon2id (default parameters: 19 MiB, 2 passes). Hashing is slow by design, so
//! the async wrappers run it on the blocking pool.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use std::sync::OnceLock;

/// Hashes `password` into a PHC string (`$argon2id$v=19$...`) with a fresh random salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash =
        Argon2::default().hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

/// Checks `password` against a stored PHC string. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is malformed");
            false
        }
    }
}

/// A hash of nothing in particular, verified against when the user does not exist, so a wrong username
/// costs as much time as a wrong password and does not reveal which accounts exist.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash("decoy password that nobody has").unwrap_or_default())
}

pub async fn hash_async(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// Verifies on the blocking pool; with `stored == None` it burns the same time and returns `false`.
pub async fn verify_async(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(s) => verify(&password, &s),
        None => {
            let _ = verify(&password, decoy());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// A random password for first-run setup: 20 characters without look-alikes.
pub fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("demo").unwrap();
        let b = hash("demo").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b);
        assert!(verify("demo", &a));
        assert!(!verify("Demo", &a));
        assert!(!verify("demo", "not a hash"));
    }

    #[test]
    fn random_passwords_differ() {
        let p = random_password();
        assert_eq!(p.len(), 20);
        assert_ne!(p, random_password());
    }
}
