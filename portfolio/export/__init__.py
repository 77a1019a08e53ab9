"""The portfolio as one signed PDF: HTML from templates/export, WeasyPrint with a fetcher that
reaches only our own files, uploaded PDFs appended, original files attached, signed (PAdES)
with the centre's certificate, and verified."""
