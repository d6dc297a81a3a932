//! The account search (openapi/v1 `q`): which live accounts a term matches, and how one page of them, oldest
//! first, is found without reading every match.
//!
//! - **Postgres, three characters or more.** A sample of the searchable text estimates how many accounts match.
//!   A term the sample finds often is read from `accounts_search_ordered`, a GiST index of creation time and
//!   trigrams, oldest match first, stopping after the page; a rare one from the trigram GIN index, every match,
//!   ordered and paged by Postgres (they are few). Both run in functions whose plans Postgres keeps. A search
//!   asking for the total reads every match from the GIN index and orders them here.
//! - **Otherwise** (SQLite, or a term of one or two characters): a walk over the oldest live accounts fills the
//!   page of a common term; a rare one has every match read (by the prefix indexes on Postgres) and ordered here.
//!
//! The answer is the same whichever way is taken; only its cost differs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Double, Text};

use crate::error::RepoError;
use crate::repo::accounts::Condition;
use crate::repo::bounded::lock;
use crate::rows::AccountRow;
use crate::schema::accounts;
use crate::DbConnection;

/// A search term of three characters or more matches anywhere in this text: the expression of the trigram indexes
/// of migrations `2026-11-24-000003_account_search` and `2026-12-04-000014_ordered_account_search`, and of the
/// functions `account_search_ordered` and `account_search_sorted` (`2026-12-05-000016`, `000017`). `{p}` stands
/// for the pattern.
const SUBSTRING_CONDITION: &str = "lower(coalesce(username, '') || ' ' || name || ' ' || coalesce(description, '') \
     || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '')) LIKE {p} ESCAPE '\\'";

/// A shorter term matches the beginning of the login name, name, email or phone: the expressions of the prefix
/// indexes of migration `2026-11-26-000006_account_prefix_search`.
const PREFIX_CONDITION: &str = "(lower(username) LIKE {p} ESCAPE '\\' OR lower(name) LIKE {p} ESCAPE '\\' \
     OR email_key LIKE {p} ESCAPE '\\' OR phone LIKE {p} ESCAPE '\\')";

/// Live accounts, oldest first, that a search reads in order before it asks an index (where no ordered index
/// serves the term): a term that matches often fills its page within them, a rare one does not and is looked up in
/// the index, which then holds few matches. (Reading one costs about 3 µs on Postgres.)
const SEARCH_WALK_ROWS: i64 = 5_000;

/// How long a sample of the searchable text is used before it is read again.
const SAMPLE_TTL: Duration = Duration::from_secs(60);

/// A search term as a condition template and its `LIKE` pattern (lower-cased, with `\`, `%` and `_` escaped).
fn search_condition(term: &str) -> (&'static str, String) {
    let term = term.to_lowercase();
    let escaped = term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    if term.chars().count() < 3 {
        (PREFIX_CONDITION, format!("{escaped}%"))
    } else {
        (SUBSTRING_CONDITION, format!("%{escaped}%"))
    }
}

/// The condition as a Diesel expression, the pattern bound at each `{p}` (the templates above have one or four).
fn bound_condition(template: &'static str, pattern: &str) -> Condition {
    use diesel::dsl::sql;
    let p = || pattern.to_owned();
    match template.split("{p}").collect::<Vec<_>>()[..] {
        [a, b, c, d, e] => Box::new(
            sql::<Bool>(a)
                .bind::<Text, _>(p())
                .sql(b)
                .bind::<Text, _>(p())
                .sql(c)
                .bind::<Text, _>(p())
                .sql(d)
                .bind::<Text, _>(p())
                .sql(e),
        ),
        [a, b] => Box::new(sql::<Bool>(a).bind::<Text, _>(p()).sql(b)),
        _ => unreachable!("search condition templates hold one or four patterns"),
    }
}

/// One page of the live accounts matching `term` (not empty), oldest first; with the number of all matches when
/// `count`.
pub(super) fn page_of_matches(
    conn: &mut DbConnection,
    sample: &SearchSample,
    term: &str,
    offset: i64,
    limit: i64,
    count: bool,
) -> Result<(Vec<AccountRow>, Option<i64>), RepoError> {
    let (template, pattern) = search_condition(term);
    if !count && limit > 0 {
        let wanted = offset.saturating_add(limit);
        if matches!(conn, DbConnection::Postgres(_)) && template == SUBSTRING_CONDITION {
            if sample.current(conn)?.expects_many(term, wanted) {
                return Ok((ordered_page(conn, &pattern, offset, limit)?, None));
            }
            // a rare term: every match from the trigram GIN index, ordered and paged by Postgres
            let call = SearchFunctionCall::new("account_search_sorted", &pattern, &[offset, limit]);
            return Ok((call.load_from(conn)?, None));
        } else {
            let walked = walk_for_page(conn, template, &pattern, offset, limit)?;
            if i64::try_from(walked.len()).is_ok_and(|n| n == limit) {
                return Ok((rows_in_order(conn, &walked)?, None));
            }
        }
    }
    // a total asked for, or a rare term on SQLite or of one or two characters: every match from the index,
    // ordered here
    let mut found: Vec<(time::PrimitiveDateTime, String)> = accounts::table
        .filter(accounts::deleted_at.is_null())
        .filter(bound_condition(template, &pattern))
        .select((accounts::created_at, accounts::id))
        .load(conn)?;
    found.sort_unstable();
    let total = i64::try_from(found.len()).unwrap_or(i64::MAX);
    let page: Vec<String> = found.into_iter().skip(to_usize(offset)).take(to_usize(limit)).map(|(_, id)| id).collect();
    Ok((rows_in_order(conn, &page)?, count.then_some(total)))
}

/// A count or position as an index (negative ones as 0).
fn to_usize(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// The accounts with these ids, in this order.
fn rows_in_order(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<AccountRow>, RepoError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<AccountRow> =
        accounts::table.filter(accounts::id.eq_any(ids)).select(AccountRow::as_select()).load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

#[derive(QueryableByName)]
struct FoundId {
    #[diesel(sql_type = Text)]
    id: String,
}

/// The ids of page `offset, limit` among the matches in the first [`SEARCH_WALK_ROWS`] live accounts, oldest
/// first (complete only when it holds `limit` ids: the window held all the matches before them).
fn walk_for_page(
    conn: &mut DbConnection,
    template: &str,
    pattern: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<String>, RepoError> {
    let statement = format!(
        "SELECT id FROM (SELECT id, created_at, username, name, description, phone, email, email_key \
         FROM accounts WHERE deleted_at IS NULL ORDER BY created_at, id LIMIT $1) AS walked \
         WHERE {} ORDER BY created_at, id LIMIT $3 OFFSET $4",
        template.replace("{p}", "$2")
    );
    let found: Vec<FoundId> = diesel::sql_query(crate::repo::for_backend(conn, &statement))
        .bind::<BigInt, _>(SEARCH_WALK_ROWS)
        .bind::<Text, _>(pattern)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)?;
    Ok(found.into_iter().map(|f| f.id).collect())
}

/// Page `offset, limit` among the substring matches of `pattern`, from the ordered index (Postgres): a scan
/// ordered by distance from the oldest creation time, which stops after the matches the page needs (run by the
/// function `account_search_ordered`, whose plan Postgres keeps: migration `2026-12-05-000016`). It is the only
/// statement stating the index's condition `created_at > '-infinity'`.
///
/// The index orders by creation time, not by id: one match more than the page needs shows whether others were
/// created at the same time as the page's last one. Only then are all matches of that time read (by
/// `accounts_created`), so that ties are ordered by id as everywhere else.
fn ordered_page(conn: &mut DbConnection, pattern: &str, offset: i64, limit: i64) -> Result<Vec<AccountRow>, RepoError> {
    let wanted = offset.saturating_add(limit);
    let mut found =
        SearchFunctionCall::new("account_search_ordered", pattern, &[wanted.saturating_add(1)]).load_from(conn)?;
    let end = to_usize(wanted);
    if end > 0 && found.len() > end {
        let last = found[end - 1].created_at;
        if found[end].created_at == last {
            found.retain(|row| row.created_at < last);
            let tied: Vec<AccountRow> = accounts::table
                .filter(accounts::deleted_at.is_null())
                .filter(accounts::created_at.eq(last))
                .filter(bound_condition(SUBSTRING_CONDITION, pattern))
                .select(AccountRow::as_select())
                .load(conn)?;
            found.extend(tied);
        }
    }
    found.sort_unstable_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(found.into_iter().skip(to_usize(offset)).take(to_usize(limit)).collect())
}

/// `SELECT <the account columns> FROM <function>($1, $2…) AS accounts`: a call of one of the search functions of
/// migrations `2026-12-05-000016` and `000017` (Postgres), with the pattern and then its numbers. Unlike a
/// statement holding SQL text, Diesel keeps this one prepared on each connection (keyed by its text, which only
/// the function's name varies), so Postgres neither parses nor plans it again; the function keeps the plan of its
/// own statement.
struct SearchFunctionCall {
    columns: diesel::dsl::AsSelect<AccountRow, Pg>,
    function: &'static str,
    pattern: String,
    numbers: Vec<i64>,
}

impl SearchFunctionCall {
    fn new(function: &'static str, pattern: &str, numbers: &[i64]) -> Self {
        Self { columns: AccountRow::as_select(), function, pattern: pattern.to_owned(), numbers: numbers.to_vec() }
    }

    /// The accounts the function returns, in its order.
    fn load_from(self, conn: &mut DbConnection) -> Result<Vec<AccountRow>, RepoError> {
        match conn {
            DbConnection::Postgres(pg) => Ok(self.load(pg)?),
            DbConnection::Sqlite(_) => Err(RepoError::Diesel(diesel::result::Error::QueryBuilderError(
                format!("{} exists on Postgres only", self.function).into(),
            ))),
        }
    }
}

impl QueryId for SearchFunctionCall {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for SearchFunctionCall {
    type SqlType = diesel::dsl::AsSelect<AccountRow, Pg>;
}

impl QueryFragment<Pg> for SearchFunctionCall {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        self.columns.walk_ast(out.reborrow())?;
        out.push_sql(" FROM ");
        out.push_sql(self.function);
        out.push_sql("(");
        out.push_bind_param::<Text, _>(&self.pattern)?;
        for number in &self.numbers {
            out.push_sql(", ");
            out.push_bind_param::<BigInt, _>(number)?;
        }
        out.push_sql(") AS accounts");
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for SearchFunctionCall {}

/// A sample of the searchable text of live accounts, read from the statistics Postgres keeps of the trigram GIN
/// index's expression (1000 values spread over its order, refreshed by `ANALYZE`), and kept for [`SAMPLE_TTL`].
/// Empty on SQLite, before the first `ANALYZE`, and where the statistics are not visible to this role: every
/// search then reads all its matches, as it did before the ordered index.
#[derive(Debug, Default)]
pub(crate) struct SearchSample {
    kept: Mutex<Option<(Instant, Arc<Sample>)>>,
}

/// What one reading of the statistics gave.
#[derive(Debug, Default)]
struct Sample {
    /// Searchable texts, lower-cased.
    texts: Vec<String>,
    /// The live accounts the index held when it was last analysed.
    live: f64,
}

#[derive(QueryableByName)]
struct SampledText {
    #[diesel(sql_type = Text)]
    text: String,
    #[diesel(sql_type = Double)]
    live: f64,
}

impl SearchSample {
    /// The sample, read again when it is older than [`SAMPLE_TTL`] (by one caller; the others keep using the old
    /// one meanwhile).
    fn current(&self, conn: &mut DbConnection) -> Result<Arc<Sample>, RepoError> {
        let now = Instant::now();
        {
            let mut kept = lock(&self.kept);
            match kept.as_mut() {
                Some((read_at, sample)) if now.duration_since(*read_at) < SAMPLE_TTL => return Ok(Arc::clone(sample)),
                Some((read_at, _)) => *read_at = now,
                None => {}
            }
        }
        let rows: Vec<SampledText> = diesel::sql_query(
            "SELECT s.text, c.reltuples::float8 AS live FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             CROSS JOIN LATERAL (SELECT unnest(histogram_bounds::text::text[]) AS text FROM pg_stats \
               WHERE schemaname = n.nspname AND tablename = c.relname) AS s \
             WHERE c.oid = to_regclass('accounts_search_trgm')",
        )
        .load(conn)?;
        let live = rows.first().map_or(0.0, |r| r.live);
        let sample = Arc::new(Sample { texts: rows.into_iter().map(|r| r.text).collect(), live });
        *lock(&self.kept) = Some((now, Arc::clone(&sample)));
        Ok(sample)
    }
}

impl Sample {
    /// Whether `term` matches so many accounts that walking the ordered index finds the first `wanted` matches
    /// sooner than reading every match: the sample must find it at least twice, and the matches it expects must
    /// number at least `wanted` and the square root of the live accounts (where the two ways cost about the same:
    /// reading every match grows with their number, walking to the page with its inverse).
    fn expects_many(&self, term: &str, wanted: i64) -> bool {
        if self.texts.is_empty() || self.live < 1.0 {
            return false;
        }
        #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
        let (sampled, wanted) = (self.texts.len() as f64, wanted as f64);
        // the hits that make the expected matches (hits / sampled × live) reach both bounds
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "positive, at most `sampled` + 1")]
        let needed = (sampled * self.live.sqrt().max(wanted) / self.live).ceil().min(sampled + 1.0) as usize;
        let needed = needed.max(2);
        let term = term.to_lowercase();
        // stops at the hits needed: a common term decides within its first few texts
        self.texts.iter().filter(|text| text.contains(&term)).take(needed).count() == needed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(texts: &[&str], live: f64) -> Sample {
        Sample { texts: texts.iter().map(|t| (*t).to_owned()).collect(), live }
    }

    #[test]
    fn a_term_the_sample_finds_often_walks_the_ordered_index() {
        let texts: Vec<String> = (0..1000).map(|i| format!("user{i} wang wei")).collect();
        let s = Sample { texts, live: 1_000_000.0 };
        assert!(s.expects_many("WANG", 20), "every sampled text matches");
        assert!(s.expects_many("user77", 20), "user77 and user770..=user779: 11 of 1000, about 11 000 accounts");
        assert!(!s.expects_many("user777", 20), "one sampled text: too few to trust");
        assert!(!s.expects_many("nobody", 20));
        assert!(!s.expects_many("user77", 20_000), "a page past the expected matches reads them all");
    }

    #[test]
    fn a_term_expected_fewer_than_the_square_root_of_the_accounts_reads_every_match() {
        let s = sample(&["ab", "ab", "cd", "cd", "cd", "cd", "cd", "cd", "cd", "cd"], 400.0);
        // 2 of 10 sampled: 80 expected, more than √400 = 20
        assert!(s.expects_many("ab", 20));
        let s = sample(&["ab", "ab", "cd", "cd", "cd", "cd", "cd", "cd", "cd", "cd"], 4_000_000.0);
        assert!(s.expects_many("ab", 20), "800 000 expected, more than 2 000");
        let mut texts = vec!["ab"; 2];
        texts.extend(vec!["cd"; 998]);
        let s = sample(&texts, 1_000_000.0);
        assert!(s.expects_many("ab", 20), "2 000 expected, at least 1 000");
        let s = sample(&texts, 10_000.0);
        assert!(!s.expects_many("ab", 20), "20 expected, fewer than √10 000 = 100");
    }

    #[test]
    fn without_statistics_every_search_reads_all_its_matches() {
        assert!(!Sample::default().expects_many("wang", 20));
        assert!(!sample(&["wang", "wang"], 0.0).expects_many("wang", 20));
    }
}
