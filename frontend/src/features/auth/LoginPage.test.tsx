import { fireEvent, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { tokenStore } from '../../api/apiService';
import { http, HttpResponse, sentRequests, server } from '../../test/msw';
import { renderWithProviders } from '../../test/render';
import LoginPage from './LoginPage';
import RegisterPage from './RegisterPage';

describe('auth forms', () => {
  // Sign-in requests other than the public config (is Google sign-in on?).
  const signIns = async () => (await sentRequests()).filter((r) => r.path !== '/config.json');
  beforeEach(() => {
    localStorage.clear();
    server.use(http.get('/config.json', () => HttpResponse.json({})));
  });

  it('login: shows field errors and sends nothing when the form is invalid', async () => {
    renderWithProviders(<LoginPage />, { route: '/login' });
    fireEvent.change(screen.getByTestId('email-input'), { target: { value: 'not-an-email' } });
    fireEvent.click(screen.getByTestId('submit-button'));
    expect(await screen.findByText('Enter a valid email address.')).toBeTruthy();
    expect(screen.getByText('Enter your password.')).toBeTruthy();
    expect(screen.getByTestId('email-input').getAttribute('aria-invalid')).toBe('true');
    // The only request is the public config (is Google sign-in on?); no sign-in was sent.
    expect(await signIns()).toEqual([]);
  });

  it("login: shows the server's wrong-password answer", async () => {
    server.use(http.post('/api/auth/login', () => HttpResponse.json({ error: { code: 'invalid_credentials', message: 'nope' } }, { status: 401 })));
    renderWithProviders(<LoginPage />, { route: '/login' });
    fireEvent.change(screen.getByTestId('email-input'), { target: { value: 'neo@example.com' } });
    fireEvent.change(screen.getByTestId('password-input'), { target: { value: 'wrong-password' } });
    fireEvent.click(screen.getByTestId('submit-button'));
    await waitFor(() => expect(screen.getByTestId('form-error').textContent).toMatch('Email or password is incorrect.'));
    expect(tokenStore.get()).toBeNull();
  });

  it('register: rejects a password shorter than 8 characters before sending', async () => {
    renderWithProviders(<RegisterPage />, { route: '/register' });
    fireEvent.change(screen.getByTestId('email-input'), { target: { value: 'neo@example.com' } });
    fireEvent.change(screen.getByTestId('password-input'), { target: { value: 'short' } });
    fireEvent.click(screen.getByTestId('submit-button'));
    expect((await screen.findByRole('alert')).textContent).toBe('Password must be at least 8 characters.');
    expect(await signIns()).toEqual([]);
  });

  it('register: stores the token on success', async () => {
    server.use(
      http.post('/api/auth/register', () =>
        HttpResponse.json({ token: 'jwt-1', user: { id: 'u1', email: 'neo@example.com', role: 'user', credits: 0 } }, { status: 201 }),
      ),
    );
    renderWithProviders(<RegisterPage />, { route: '/register' });
    fireEvent.change(screen.getByTestId('email-input'), { target: { value: 'neo@example.com' } });
    fireEvent.change(screen.getByTestId('password-input'), { target: { value: 'long-enough' } });
    fireEvent.click(screen.getByTestId('submit-button'));
    await waitFor(() => expect(tokenStore.get()).toBe('jwt-1'));
    const [register] = await signIns();
    expect(register.method).toBe('POST');
    expect(register.path).toBe('/api/auth/register');
    expect(JSON.parse(register.body)).toEqual({ email: 'neo@example.com', password: 'long-enough' });
  });
});
