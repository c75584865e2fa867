"""資料查詢 views: 填報紀錄 (history) and 統計查詢 (query)."""
