/// A page request: 1-based page number and page size, already range-checked by the dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u32,
    /// Items per page.
    pub limit: u32,
}

impl PageRequest {
    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.limit)
    }
}

/// One page of results with the total count.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Items across all pages.
    pub total: i64,
    /// The request that produced this page.
    pub request: PageRequest,
}

impl<T> Page<T> {
    /// Whether a later page has items: `page * limit < total`.
    pub fn has_more(&self) -> bool {
        i64::from(self.request.page) * i64::from(self.request.limit) < self.total
    }
}
