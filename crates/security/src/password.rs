use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use base64::Engine;
use domain::ports::{PasswordCheck, PasswordHasher};
use domain::values::Password;
use domain::{DomainError, DomainResult};
use subtle::ConstantTimeEq;
use tokio::sync::{OnceCell, Semaphore};

/// Prefix of imported Dify / zgi-next hashes: `pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`.
const PBKDF2_PREFIX: &str = "pbkdf2_sha256$";

/// bcrypt hashing on the blocking pool, at most `permits` at a time, so a login storm queues instead of
/// starving other requests. Uses bcrypt's non-truncating functions: passwords over 72 bytes are errors.
#[derive(Clone)]
pub struct BcryptHasher {
    cost: u32,
    permits: Arc<Semaphore>,
    dummy: Arc<OnceCell<String>>,
    counters: Arc<HashCounters>,
}

#[derive(Default)]
struct HashCounters {
    waiting: AtomicUsize,
    running: AtomicUsize,
    done: AtomicU64,
    micros: AtomicU64,
}

/// The hasher's queue and work so far, for metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HashStats {
    /// Hashes and verifications waiting for a permit.
    pub waiting: usize,
    /// Hashes and verifications running.
    pub running: usize,
    /// Hashes and verifications done since start.
    pub done: u64,
    /// Time they spent running, in seconds.
    pub seconds: f64,
}

impl BcryptHasher {
    /// A hasher of the given cost (4–31) running at most `concurrency` hashes at once.
    pub fn new(cost: u32, concurrency: usize) -> Self {
        Self {
            cost,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy: Arc::new(OnceCell::new()),
            counters: Arc::default(),
        }
    }

    /// The queue and the work so far.
    pub fn stats(&self) -> HashStats {
        let c = &self.counters;
        HashStats {
            waiting: c.waiting.load(Ordering::Relaxed),
            running: c.running.load(Ordering::Relaxed),
            done: c.done.load(Ordering::Relaxed),
            seconds: c.micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }

    /// The number of hashes allowed at once by default: the machine's cores.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }

    /// Runs `work` on the blocking pool holding a permit. The permit moves into the blocking task, so a
    /// cancelled request (client gone) cannot free it while its hash still runs.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> DomainResult<T> {
        let counters = Arc::clone(&self.counters);
        counters.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = self.permits.clone().acquire_owned().await;
        counters.waiting.fetch_sub(1, Ordering::Relaxed);
        let permit = permit.map_err(DomainError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            counters.running.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let result = work();
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            counters.micros.fetch_add(micros, Ordering::Relaxed);
            counters.done.fetch_add(1, Ordering::Relaxed);
            counters.running.fetch_sub(1, Ordering::Relaxed);
            result
        })
        .await
        .map_err(|e| {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic())
            }
            DomainError::internal(e)
        })
    }

    /// Builds the dummy hash now, so the first unknown-email login costs what every later one costs.
    ///
    /// # Errors
    /// When hashing fails.
    pub async fn warm_up(&self) -> DomainResult<()> {
        self.dummy_hash().await.map(drop)
    }

    async fn dummy_hash(&self) -> DomainResult<String> {
        self.dummy
            .get_or_try_init(|| async {
                let cost = self.cost;
                self.run(move || bcrypt::hash("dummy password for timing", cost)).await?.map_err(DomainError::internal)
            })
            .await
            .cloned()
    }
}

fn bcrypt_cost(hash: &str) -> Option<u32> {
    hash.get(4..6)?.parse().ok()
}

fn verify_pbkdf2(password: &str, encoded: &str) -> bool {
    let mut parts = encoded[PBKDF2_PREFIX.len()..].split('$');
    let (Some(iterations), Some(salt), Some(expected), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(iterations) = iterations.parse::<u32>() else { return false };
    let b64 = base64::engine::general_purpose::STANDARD;
    // Dify keeps the salt base64-encoded and uses the raw bytes; the hash is base64 of the lowercase hex digest.
    let (Ok(salt), Ok(expected)) = (b64.decode(salt), b64.decode(expected)) else { return false };
    let mut derived = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), &salt, iterations, &mut derived);
    hex::encode(derived).as_bytes().ct_eq(&expected).into()
}

#[async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash_all(&self, passwords: Vec<Option<Password>>) -> DomainResult<Vec<Option<String>>> {
        let mut out = vec![None; passwords.len()];
        let mut tasks = tokio::task::JoinSet::new();
        for (index, password) in passwords.into_iter().enumerate() {
            if let Some(password) = password {
                let hasher = self.clone();
                tasks.spawn(async move { (index, hasher.hash(&password).await) });
            }
        }
        while let Some(done) = tasks.join_next().await {
            let (index, hash) = done.map_err(DomainError::internal)?;
            out[index] = Some(hash?);
        }
        Ok(out)
    }

    async fn hash(&self, password: &Password) -> DomainResult<String> {
        let secret = password.expose().to_owned();
        let cost = self.cost;
        self.run(move || bcrypt::non_truncating_hash(secret, cost))
            .await?
            .map_err(|_| DomainError::invalid("password", "Password must be at most 72 bytes long."))
    }

    async fn verify(&self, password: &Password, hash: Option<String>) -> DomainResult<PasswordCheck> {
        let secret = password.expose().to_owned();
        let dummy = self.dummy_hash().await?;
        let cost = self.cost;
        self.run(move || match hash {
            // Imported PBKDF2 hashes are cheap to check; spend a bcrypt verification as well, so response
            // times do not tell imported accounts from unknown ones.
            Some(hash) if hash.starts_with(PBKDF2_PREFIX) => {
                let _ = bcrypt::non_truncating_verify(&secret, &dummy);
                if verify_pbkdf2(&secret, &hash) {
                    PasswordCheck::Match { needs_rehash: true }
                } else {
                    PasswordCheck::Mismatch
                }
            }
            Some(hash) => match bcrypt::non_truncating_verify(&secret, &hash) {
                Ok(true) => PasswordCheck::Match { needs_rehash: bcrypt_cost(&hash) != Some(cost) },
                _ => PasswordCheck::Mismatch,
            },
            None => {
                let _ = bcrypt::non_truncating_verify(&secret, &dummy);
                PasswordCheck::Mismatch
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse_any("password", s).unwrap()
    }

    #[tokio::test]
    async fn hash_and_verify_round_trip() {
        let h = BcryptHasher::new(4, 2);
        let hash = h.hash(&pw("abcdefg1")).await.unwrap();
        assert!(hash.starts_with("$2"));
        assert_eq!(
            h.verify(&pw("abcdefg1"), Some(hash.clone())).await.unwrap(),
            PasswordCheck::Match { needs_rehash: false }
        );
        assert_eq!(h.verify(&pw("abcdefg2"), Some(hash.clone())).await.unwrap(), PasswordCheck::Mismatch);
        // a different configured cost asks for a rehash
        let h5 = BcryptHasher::new(5, 1);
        assert_eq!(h5.verify(&pw("abcdefg1"), Some(hash)).await.unwrap(), PasswordCheck::Match { needs_rehash: true });
    }

    #[tokio::test]
    async fn unknown_account_is_a_mismatch_after_real_work() {
        let h = BcryptHasher::new(4, 1);
        assert_eq!(h.verify(&pw("dummy password for timing"), None).await.unwrap(), PasswordCheck::Mismatch);
    }

    #[tokio::test]
    async fn dify_pbkdf2_hashes_verify_and_ask_for_rehash() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let salt = [7u8; 16];
        let mut derived = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"zgi@zgi123", &salt, 10000, &mut derived);
        let stored = format!("{PBKDF2_PREFIX}10000${}${}", b64.encode(salt), b64.encode(hex::encode(derived)));
        let h = BcryptHasher::new(4, 1);
        assert_eq!(
            h.verify(&pw("zgi@zgi123"), Some(stored.clone())).await.unwrap(),
            PasswordCheck::Match { needs_rehash: true }
        );
        assert_eq!(h.verify(&pw("zgi@zgi124"), Some(stored)).await.unwrap(), PasswordCheck::Mismatch);
        assert_eq!(h.verify(&pw("x"), Some(format!("{PBKDF2_PREFIX}bad"))).await.unwrap(), PasswordCheck::Mismatch);
    }
}
