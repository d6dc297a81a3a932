//! Housekeeping: rows that have outlived their use (ended sessions, expired tokens and codes, ended counters,
//! nonces, delivered mail) are removed in bounded batches, by the server's periodic task and by `accountd
//! purge`.

use super::UseCases;
use crate::error::DomainResult;
use crate::ports::{PurgeCutoffs, PurgeReport};

/// Rows of one kind removed per statement: short statements hold their locks briefly.
pub const PURGE_BATCH: u32 = 1000;

/// Batches per run at most, so that one run of the periodic task stays bounded (the next run goes on).
pub const PURGE_MAX_BATCHES: u32 = 100;

impl UseCases {
    /// Removes what has outlived its use, batch by batch, until a batch finds less than a full batch of every
    /// kind or [`PURGE_MAX_BATCHES`] were run. Ended sessions, expired refresh tokens and codes and sent mail
    /// are kept for [`super::Settings::retention`] after they ended.
    ///
    /// # Errors
    /// Storage failures (what was removed before stays removed).
    ///
    /// ```
    /// # use domain::usecases::UseCases;
    /// # async fn demo(use_cases: &UseCases) -> domain::DomainResult<()> {
    /// // from a periodic task of the embedding service (accountd runs one every five minutes)
    /// let removed = use_cases.purge_expired().await?;
    /// println!("{} rows removed", removed.total());
    /// # Ok(()) }
    /// ```
    pub async fn purge_expired(&self) -> DomainResult<PurgeReport> {
        let now = self.ports.clock.now();
        let cutoffs = PurgeCutoffs { expired_before: now, ended_before: now - self.settings.retention };
        let mut report = PurgeReport::default();
        for _ in 0..PURGE_MAX_BATCHES {
            let batch = self.ports.housekeeping.purge_batch(&cutoffs, PURGE_BATCH).await?;
            report.add(&batch);
            if batch.largest() < u64::from(PURGE_BATCH) {
                break;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::always;

    use super::*;
    use crate::usecases::test_support::{Mocks, NOW};

    #[tokio::test]
    async fn batches_go_on_while_a_kind_fills_its_batch_and_the_cutoffs_keep_the_retention() {
        let mut m = Mocks::new();
        let full = PurgeReport { sessions: u64::from(PURGE_BATCH), nonces: 3, ..Default::default() };
        let last = PurgeReport { sessions: 7, ..Default::default() };
        let mut calls = 0;
        m.housekeeping.expect_purge_batch().with(always(), mockall::predicate::eq(PURGE_BATCH)).times(3).returning(
            move |cutoffs, _| {
                assert_eq!(cutoffs.expired_before, NOW);
                assert_eq!(cutoffs.ended_before, NOW - time::Duration::days(7));
                calls += 1;
                Ok(if calls < 3 { full } else { last })
            },
        );
        let report = m.build().purge_expired().await.unwrap();
        assert_eq!(report.sessions, 2 * u64::from(PURGE_BATCH) + 7);
        assert_eq!(report.nonces, 6);
    }

    #[tokio::test]
    async fn a_run_is_bounded() {
        let mut m = Mocks::new();
        let full = PurgeReport { throttles: u64::from(PURGE_BATCH), ..Default::default() };
        m.housekeeping.expect_purge_batch().times(PURGE_MAX_BATCHES as usize).returning(move |_, _| Ok(full));
        let report = m.build().purge_expired().await.unwrap();
        assert_eq!(report.total(), u64::from(PURGE_MAX_BATCHES * PURGE_BATCH));
    }
}
