// The plotly.js the dashboard's page loads instead of Dash's full build (4.8 MB, 1.3 s to
// evaluate on two cores): the core (scatter, the axes, the map subplot's base) and the trace
// types the browser draws: the timeline's bars, the map's markers, zones and density.
// tests/test_plotly_bundle.py fails when a figure uses a type not registered here.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
  require('plotly.js/lib/bar'),
  require('plotly.js/lib/scattermap'),
  require('plotly.js/lib/choroplethmap'),
  require('plotly.js/lib/densitymap'),
]);

// dcc.Graph loads its own plotly.js only when window.Plotly is not set.
window.Plotly = Plotly;
