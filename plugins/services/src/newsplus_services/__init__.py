"""newsplus-services — life services: the 17 service modules (要结婚, 生小孩 …) and districts' own.

A district's own package imports the module types from here to return them from ``services_register_modules``.
"""

from newsplus_services.modules import Faq, Guide, Question, Resource, ServiceModule

__all__ = ["Faq", "Guide", "Question", "Resource", "ServiceModule"]
