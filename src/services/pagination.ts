/** A page of a list, as every list service takes it (the routes validate and default it). */
export interface Pagination {
  page: number;
  limit: number;
}
