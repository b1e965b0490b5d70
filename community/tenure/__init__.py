"""Tenure: who manages an estate, and from when to when.

Property companies and their service contracts, self-management periods (业主自行管理), the
estates left without a manager (无物业小区) and each estate's management history. The models
stay in ``community.models``; this package holds the services, reads, forms and pages
around them.
"""
