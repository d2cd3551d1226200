"""Web UI for changes: the generic record views with the change's panels (risk matrix,
approvals and votes, schedule conflicts and freezes, configuration items, tasks, fixed
problems, emergency plans), the change calendar, CAB meetings and the master data
(boards, standard change templates, freeze windows).

Changes are internal to the service provider: every page starts from
``visible_to(user)`` and is a 404 for customers and for other providers' staff. Writes go
through ``changes.services`` / ``changes.approvals`` / ``core.services``; a person whose
role may not do something gets a 403, bad input re-renders the page with the form
errors (400).

The modules:

- ``records``: the change's generic record views (``CHANGE_VIEWS``) and the context of
  its panels.
- ``actions``: the POST actions of those panels (votes, closing a vote, items, tasks,
  emergency plan uses).
- ``staff``: the base of the pages of provider staff.
- ``calendar``: the change calendar (month and week).
- ``meetings``: CAB meetings, their agenda and decisions.
- ``master``: boards, standard change templates and freeze windows.
"""
