"""The CardioView desktop viewer (PySide6 + pyqtgraph). Only this package imports Qt."""
