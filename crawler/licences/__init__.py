"""Licence documents in, licences and their domains out: the number grammar, the OCR'd
document parser, domain normalising, validity and the licence tables."""
