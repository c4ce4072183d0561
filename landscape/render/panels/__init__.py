"""render.panels"""
