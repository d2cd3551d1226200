"""Reports (DESIGN "Reports"): a report is parameters → data → page/XLSX/PDF.

An app registers each report once (``register_report`` in its ``registrations``) and
gets from here: the catalogue and the report's page (``views``), the PDF rendered by
WeasyPrint with Debian's Noto CJK fonts and the XLSX (``rendering``), SVG charts drawn on
the server (``charts``), the API (``core.api.reports``), subscriptions that email any
report monthly or quarterly and the archive of every report sent (``services``, the
hourly job ``core.tasks.send_report_subscriptions``).
"""

from .charts import bar_chart, line_chart
from .registry import Report, register_report, report, reports, reports_for, unregister_report
from .rendering import ReportFile, Sheet, render_pdf, workbook

__all__ = ["Report", "ReportFile", "Sheet", "bar_chart", "line_chart", "register_report",
           "render_pdf", "report", "reports", "reports_for", "unregister_report",
           "workbook"]
