import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { initApi } from './api/apiService';
import { App } from './App';
import { createQueryClient } from './queryClient';
import '@fontsource-variable/inter';
import './index.css';

const queryClient = createQueryClient();

// On *.run.app the per-function URLs come from /config.json; load it before
// the first render so media URLs resolve synchronously.
void initApi().finally(() => {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App queryClient={queryClient} />
    </StrictMode>,
  );
});
